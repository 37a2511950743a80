/**
 * The routes docs/api.md documents, read from how it lays them out:
 * - a heading, list item, table row or paragraph that starts with `` `METHOD /path` ``
 *   (methods may be joined by `|`: `` `GET|PUT|DELETE /v1/admin/kv/:key` ``);
 * - under a heading that names a path (`` ## Counters — `/v1/counters/:name` ``), a list
 *   item or table row that starts with a bare `` `METHOD` ``.
 * A method and path in the middle of a sentence (the WeChat endpoint a route calls) is
 * not a route of ours. The section on `miniscale up`'s `/_gateway/` routes is left out:
 * the API's document does not describe those operator routes.
 * Paths come back in OpenAPI's form: `:key` → `{key}`, no query.
 */
const METHOD = 'GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS';
const LINE_START = '^(?:#+\\s+|[-*]\\s+|\\|\\s*)?';
const ROUTE = new RegExp(`${LINE_START}\`((?:${METHOD})(?:\\|(?:${METHOD}))*) (/[^\`\\s]*)\``);
const BARE_METHOD = new RegExp(`^(?:[-*]\\s+|\\|\\s*)\`((?:${METHOD})(?:\\|(?:${METHOD}))*)\``);
const HEADING = /^(#+)\s+(.*)$/;
const PATH_IN_HEADING = /`(\/[^`\s]*)`/;

export function docRoutes(markdown: string): Set<string> {
  const routes = new Set<string>();
  let sectionPath: string | undefined;
  let skipping = false;
  for (const line of markdown.split('\n')) {
    const heading = HEADING.exec(line);
    if (heading) {
      skipping = heading[2]!.includes('/_gateway/');
      sectionPath = PATH_IN_HEADING.exec(heading[2]!)?.[1];
    }
    if (skipping) continue;
    const route = ROUTE.exec(line);
    if (route) {
      add(routes, route[1]!, route[2]!);
      continue;
    }
    const bare = sectionPath === undefined ? null : BARE_METHOD.exec(line);
    if (bare) add(routes, bare[1]!, sectionPath!);
  }
  return routes;
}

function add(routes: Set<string>, methods: string, path: string): void {
  const openapiPath = path.split('?')[0]!.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  for (const method of methods.split('|')) routes.add(`${method} ${openapiPath}`);
}
