package dev.lanyard.webhook.inject;

/**
 * What the admission request (or the CLI) knows beyond the pod itself.
 *
 * @param namespace the request's namespace: pods created by controllers often carry none themselves
 * @param dryRun a dry run: the result is the same, only side effects (Events) differ
 */
public record RequestContext(String namespace, boolean dryRun) {
  public static RequestContext of(String namespace) {
    return new RequestContext(namespace, false);
  }
}
