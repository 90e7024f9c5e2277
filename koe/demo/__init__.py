"""Demo content for newcomers: `koe demo` fills an empty Koe with living blogs."""
