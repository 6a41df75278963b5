// The browser faces' tiny router: `/s/<id>` is the co-browse site, anything else the console.

export type Route = { kind: 'console' } | { kind: 'session'; sessionId: string };

function parse(pathname: string): Route {
  const match = /^\/s\/([^/]+)\/?$/.exec(pathname);
  if (match?.[1]) return { kind: 'session', sessionId: decodeURIComponent(match[1]) };
  return { kind: 'console' };
}

class Router {
  route = $state<Route>(parse(window.location.pathname));

  constructor() {
    window.addEventListener('popstate', () => {
      this.route = parse(window.location.pathname);
    });
  }

  /**
   * Goes to `path` without reloading the page. The query stays: it holds page-wide options
   * (`?media=synthetic`) that a reload of the new address must keep.
   */
  navigate(path: string): void {
    if (window.location.pathname !== path) history.pushState(null, '', path + window.location.search);
    this.route = parse(path);
  }
}

export const router = new Router();
