// Placeholder: compiles assembly/ to WebAssembly and embeds it (filled in by the gemm work).
