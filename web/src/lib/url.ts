// The library's view lives in the URL (`/?type=image&q=neon&asset=…`), so a filtered view or an open asset can be shared.
export interface View {
  chip: string; // a chip id from GET /assets/chips ("all", "favorites", "type:image", …)
  q: string;
  mode: "hybrid" | "keyword" | "semantic";
  folder: string;
  collection: string;
  asset: string;
}

export function readView(search: string = location.search): View {
  const params = new URLSearchParams(search);
  const mode = params.get("mode");
  return {
    chip: params.get("chip") ?? "all",
    q: params.get("q") ?? "",
    mode: mode === "keyword" || mode === "semantic" ? mode : "hybrid",
    folder: params.get("folder") ?? "",
    collection: params.get("collection") ?? "",
    asset: params.get("asset") ?? "",
  };
}

export function viewUrl(view: View): string {
  const params = new URLSearchParams();
  if (view.chip !== "all") params.set("chip", view.chip);
  if (view.q) params.set("q", view.q);
  if (view.q && view.mode !== "hybrid") params.set("mode", view.mode);
  if (view.folder) params.set("folder", view.folder);
  if (view.collection) params.set("collection", view.collection);
  if (view.asset) params.set("asset", view.asset);
  const query = params.toString();
  return query ? `/?${query}` : "/";
}
