package dev.lanyard.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.reasons.Reason;
import dev.lanyard.webhook.inject.InjectionReport;
import dev.lanyard.webhook.inject.InjectionResult;
import dev.lanyard.webhook.inject.JsonPatches;
import dev.lanyard.webhook.inject.KubeJson;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.inject.RequestContext;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admission request, from bytes to bytes, without the servlet API (so it is tested, and fuzzed,
 * as a function): decode the AdmissionReview, hand a Pod to the pure {@link PodInjector}, encode
 * the difference as a JSON Patch (after Istio's {@code serveInject}).
 *
 * <p>Answers: 200 with an AdmissionReview for every well-formed request, pods or not (a pod outside
 * the operator's ceiling is denied in it, with status 403 and the reason); 400 for a
 * malformed or oversized body; 415 for a body that is not JSON. Never 500 and never a stack trace:
 * a bug in injection allows the pod uninjected, with a warning and the {@code error} metric,
 * because a webhook that refuses every pod stops the cluster's deployments.
 */
public final class AdmissionHandler {
  /**
   * The largest request body read; etcd's own object limit is 1.5 MiB, and a review holds one
   * object.
   */
  public static final int MAX_BODY_BYTES = 3 * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(AdmissionHandler.class);

  private final BiFunction<Pod, RequestContext, InjectionResult> injector;
  private final WebhookMetrics metrics;
  private final InjectionEvents events;
  private final LongSupplier nanoTime;

  public AdmissionHandler(PodInjector injector, WebhookMetrics metrics, InjectionEvents events) {
    this(injector::inject, metrics, events, System::nanoTime);
  }

  /** With any injection function: tests use one that fails, to see the webhook survive it. */
  AdmissionHandler(
      BiFunction<Pod, RequestContext, InjectionResult> injector,
      WebhookMetrics metrics,
      InjectionEvents events,
      LongSupplier nanoTime) {
    this.injector = injector;
    this.metrics = metrics;
    this.events = events;
    this.nanoTime = nanoTime;
  }

  /**
   * @param contentType the request's Content-Type header, or null
   * @param body the complete request body (the servlet stops reading past {@link #MAX_BODY_BYTES})
   */
  public HttpReply handle(String contentType, byte[] body) {
    long start = nanoTime.getAsLong();
    if (!isJson(contentType)) {
      metrics.admission(
          WebhookMetrics.REJECTED, Reason.UNSUPPORTED_MEDIA_TYPE, nanoTime.getAsLong() - start);
      return HttpReply.text(
          415,
          "Content-Type must be application/json (an AdmissionReview "
              + AdmissionReviews.API_VERSION
              + "), not "
              + (contentType == null ? "missing" : "\"" + contentType + "\""));
    }
    if (body.length > MAX_BODY_BYTES) {
      metrics.admission(WebhookMetrics.REJECTED, Reason.TOO_LARGE, nanoTime.getAsLong() - start);
      return tooLarge(body.length);
    }
    AdmissionRequestView request;
    try {
      request = AdmissionReviews.parse(body);
    } catch (BadAdmissionRequest e) {
      metrics.admission(WebhookMetrics.REJECTED, e.reason(), nanoTime.getAsLong() - start);
      return HttpReply.text(400, e.getMessage());
    }
    if (!request.isPodCreate()) {
      metrics.admission(WebhookMetrics.IGNORED, Reason.NOT_A_POD_CREATE, nanoTime.getAsLong() - start);
      return HttpReply.json(AdmissionReviews.allowed(request.uid(), null, List.of()));
    }
    return injectPod(request, start);
  }

  /**
   * A request whose declared Content-Length is over {@link #MAX_BODY_BYTES}: refused without
   * reading (or allocating) the body.
   */
  public HttpReply refuseOversized(long declaredLength) {
    metrics.admission(WebhookMetrics.REJECTED, Reason.TOO_LARGE, 0);
    return tooLarge(declaredLength);
  }

  private HttpReply injectPod(AdmissionRequestView request, long start) {
    Pod pod;
    try {
      if (!request.object().isObject()) {
        throw new IllegalArgumentException(
            "request.object is " + request.object().getNodeType().name().toLowerCase(Locale.ROOT));
      }
      pod = KubeJson.fromTree(request.object(), Pod.class);
    } catch (RuntimeException e) {
      metrics.admission(WebhookMetrics.REJECTED, Reason.MALFORMED_POD, nanoTime.getAsLong() - start);
      return HttpReply.text(
          400, "request " + request.uid() + ": request.object is not a Pod: " + firstLine(e));
    }
    try {
      InjectionResult result =
          injector.apply(pod, new RequestContext(request.namespace(), request.dryRun()));
      InjectionReport report = result.report();
      if (report.refused()) {
        return refuse(request, pod, report, start);
      }
      JsonNode patch = report.injected() ? JsonPatches.diff(pod, result.pod()) : null;
      byte[] response = AdmissionReviews.allowed(request.uid(), patch, report.admissionWarnings());
      if (!request.dryRun()) {
        recordEvent(pod, report);
      }
      metrics.admission(
          report.injected() ? WebhookMetrics.INJECTED : WebhookMetrics.SKIPPED,
          report.reason(),
          nanoTime.getAsLong() - start);
      return HttpReply.json(response);
    } catch (RuntimeException | StackOverflowError e) {
      LOG.error(
          "injection failed for pod {} in namespace {} (request {}); allowing it uninjected",
          pod.getMetadata() == null ? "<unnamed>" : pod.getMetadata().getName(),
          request.namespace(),
          request.uid(),
          e);
      metrics.admission(WebhookMetrics.ERROR, Reason.INTERNAL_ERROR, nanoTime.getAsLong() - start);
      return HttpReply.json(
          AdmissionReviews.allowed(
              request.uid(),
              null,
              List.of(
                  "lanyard: injection failed ("
                      + e.getClass().getSimpleName()
                      + "), so this pod runs"
                      + " without a Lanyard identity; the webhook log has the details")));
    }
  }

  /** A pod outside the operator's ceiling: denied with the reason, never created. */
  private HttpReply refuse(
      AdmissionRequestView request, Pod pod, InjectionReport report, long start) {
    LOG.info(
        "refused pod {} in namespace {} (request {}): {}",
        report.pod(),
        request.namespace(),
        request.uid(),
        report.summary());
    List<String> warnings =
        report.admissionWarnings().stream()
            .filter(warning -> !warning.endsWith(report.summary()))
            .toList();
    byte[] response =
        AdmissionReviews.denied(request.uid(), 403, "lanyard: " + report.summary(), warnings);
    if (!request.dryRun()) {
      recordEvent(pod, report);
    }
    metrics.admission(WebhookMetrics.REFUSED, report.reason(), nanoTime.getAsLong() - start);
    return HttpReply.json(response);
  }

  /** Events are best effort: whatever goes wrong there must not cost the pod its injection. */
  private void recordEvent(Pod pod, InjectionReport report) {
    try {
      events.record(pod, report);
    } catch (RuntimeException e) {
      LOG.warn("cannot queue the Event for pod {}: {}", report.pod(), e.toString());
      metrics.event("failed");
    }
  }

  static HttpReply tooLarge(long size) {
    return HttpReply.text(
        400,
        "request body of "
            + size
            + " bytes exceeds the limit of "
            + MAX_BODY_BYTES
            + " bytes (3 MiB); an AdmissionReview of one pod is far smaller");
  }

  /** {@code application/json}, with or without parameters such as charset. */
  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return mediaType.equals("application/json");
  }

  private static String firstLine(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
