import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  plugins: [svelte()],
  // Built files go under /static/: `dam local` serves dist/ next to the API, and /assets/… is the API's.
  build: { target: "es2022", sourcemap: false, assetsDir: "static" },
});
