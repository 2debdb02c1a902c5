// The app's view lives in the URL (`/?type=image&q=neon&asset=…`, `/?page=projects&project=…`), so a filtered
// view, an open asset or a project can be shared and survives a reload.
export interface Filters {
  media: string; // GET /assets `media_type`
  model: string;
  prompt: string;
  from: string; // yyyy-mm-dd
  to: string; // yyyy-mm-dd, the whole day included (the API says so)
  brand: string;
  tag: string;
  folder: string;
  collection: string;
}

export interface View extends Filters {
  page: "library" | "projects" | "trash";
  project: string;
  shot: string; // a shot's assets (GET /assets `shot`), opened from a project's tree
  chip: string; // a chip id from GET /assets/chips ("all", "favorites", "type:image", …)
  q: string;
  mode: "hybrid" | "keyword" | "semantic";
  asset: string;
}

export const FILTER_KEYS: (keyof Filters)[] = ["media", "model", "prompt", "from", "to", "brand", "tag", "folder", "collection"];
export const NO_FILTERS: Filters = Object.fromEntries(FILTER_KEYS.map((key) => [key, ""])) as unknown as Filters;

export function readView(search: string = location.search): View {
  const params = new URLSearchParams(search);
  const mode = params.get("mode");
  const filters = Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? ""])) as unknown as Filters;
  return {
    ...filters,
    page: params.get("page") === "projects" ? "projects" : params.get("page") === "trash" ? "trash" : "library",
    project: params.get("project") ?? "",
    shot: params.get("shot") ?? "",
    chip: params.get("chip") ?? "all",
    q: params.get("q") ?? "",
    mode: mode === "keyword" || mode === "semantic" ? mode : "hybrid",
    asset: params.get("asset") ?? "",
  };
}

export function viewUrl(view: View): string {
  const params = new URLSearchParams();
  if (view.page !== "library") params.set("page", view.page);
  if (view.page === "projects") {
    if (view.project) params.set("project", view.project);
  } else if (view.page === "library") {
    if (view.chip !== "all") params.set("chip", view.chip);
    if (view.q) params.set("q", view.q);
    if (view.q && view.mode !== "hybrid") params.set("mode", view.mode);
    for (const key of FILTER_KEYS) if (view[key]) params.set(key, view[key]);
    if (view.shot) params.set("shot", view.shot);
  }
  if (view.asset) params.set("asset", view.asset);
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

/** The GET /assets and GET /search query parameters for the filter bar's values. */
export function filterQuery(filters: Filters): Record<string, string> {
  const query: Record<string, string> = {};
  const names: Record<keyof Filters, string> = {
    media: "media_type", model: "model", prompt: "prompt", from: "from", to: "to",
    brand: "brand", tag: "tag", folder: "folder", collection: "collection",
  };
  for (const key of FILTER_KEYS) if (filters[key].trim()) query[names[key]] = filters[key].trim();
  return query;
}

export function activeFilters(filters: Filters): boolean {
  return FILTER_KEYS.some((key) => filters[key] !== "");
}
