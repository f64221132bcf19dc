package dev.lanyard.webhook.server;

import dev.lanyard.webhook.admission.AdmissionHandler;
import dev.lanyard.webhook.admission.WebhookMetrics;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's HTTPS server: embedded Jetty 12 with jakarta.servlet, one connector, four paths
 * ({@code /mutate}, {@code /healthz}, {@code /readyz}, {@code /metrics}). Shuts down gracefully:
 * unready first, then a drain delay (so endpoints stop routing here), then in-flight requests
 * finish before the listener closes.
 */
public final class WebhookServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);

  /**
   * @param port 0 for any free port (tests)
   * @param drainDelay how long to stay up, unready, before closing (Kubernetes needs a few seconds
   *     to take the pod out of the Service's endpoints)
   */
  public record Settings(
      String host,
      int port,
      Path certificateFile,
      Path keyFile,
      Duration certificateCheckInterval,
      Duration drainDelay,
      Duration stopTimeout) {}

  private final Settings settings;
  private final Server server;
  private final ServerConnector connector;
  private final CertificateReloader certificates;
  private final Readiness readiness = new Readiness();
  private static final String HTTPS_CONNECTOR = "https";
  private static final String METRICS_CONNECTOR = "metrics";

  private final ContextHandlerCollection contexts = new ContextHandlerCollection();
  private final io.prometheus.metrics.model.registry.PrometheusRegistry metricsRegistry;
  private ServerConnector metricsConnector;
  private volatile int boundPort = -1;

  public WebhookServer(Settings settings, AdmissionHandler handler, WebhookMetrics metrics) {
    this.settings = settings;
    QueuedThreadPool threads = new QueuedThreadPool(32, 4);
    threads.setName("lanyard-webhook");
    this.server = new Server(threads);

    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    this.certificates =
        new CertificateReloader(settings.certificateFile(), settings.keyFile(), ssl);

    HttpConfiguration https = new HttpConfiguration();
    https.setSendServerVersion(false);
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    // The apiserver calls by IP or by the Service's DNS name; neither needs to match SNI here.
    secure.setSniHostCheck(false);
    https.addCustomizer(secure);
    this.connector =
        new ServerConnector(
            server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
    connector.setHost(settings.host());
    connector.setPort(settings.port());
    connector.setName(HTTPS_CONNECTOR);
    server.addConnector(connector);
    this.metricsRegistry = metrics.registry();

    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.setVirtualHosts(List.of("@" + HTTPS_CONNECTOR));
    context.addServlet(new ServletHolder("mutate", new MutateServlet(handler)), "/mutate");
    ServletHolder health = new ServletHolder("health", new HealthServlet(readiness));
    context.addServlet(health, "/healthz");
    context.addServlet(health, "/readyz");
    context.addServlet(
        new ServletHolder("metrics", new PrometheusMetricsServlet(metrics.registry())), "/metrics");
    ErrorHandler quietErrors = new ErrorHandler();
    quietErrors.setShowStacks(false);
    quietErrors.setShowMessageInTitle(false);
    context.setErrorHandler(quietErrors);
    server.setErrorHandler(quietErrors);

    contexts.addHandler(context);
    GracefulHandler graceful = new GracefulHandler();
    graceful.setHandler(contexts);
    server.setHandler(graceful);
    server.setStopTimeout(settings.stopTimeout().toMillis());
  }

  /**
   * Also serves {@code GET /metrics}, and nothing else, over plain HTTP on {@code port} (0: any
   * free port), for Prometheus, which then needs neither the webhook's CA nor the admission port.
   * Call before {@link #start()}.
   */
  public WebhookServer serveMetricsOn(int port) {
    metricsConnector = new ServerConnector(server);
    metricsConnector.setHost(settings.host());
    metricsConnector.setPort(port);
    metricsConnector.setName(METRICS_CONNECTOR);
    server.addConnector(metricsConnector);
    ServletContextHandler metricsOnly = new ServletContextHandler();
    metricsOnly.setContextPath("/");
    metricsOnly.setVirtualHosts(List.of("@" + METRICS_CONNECTOR));
    metricsOnly.addServlet(
        new ServletHolder("metrics", new PrometheusMetricsServlet(metricsRegistry)), "/metrics");
    ErrorHandler quietErrors = new ErrorHandler();
    quietErrors.setShowStacks(false);
    metricsOnly.setErrorHandler(quietErrors);
    contexts.addHandler(metricsOnly);
    return this;
  }

  /** The bound metrics port; -1 when {@link #serveMetricsOn} was not called or before start. */
  public int metricsPort() {
    return metricsConnector == null ? -1 : metricsConnector.getLocalPort();
  }

  public WebhookServer start() throws Exception {
    server.start();
    boundPort = connector.getLocalPort();
    certificates.start(settings.certificateCheckInterval());
    readiness.set(true);
    LOG.info("Lanyard webhook serving https://{}:{}/mutate", settings.host(), port());
    return this;
  }

  /** The bound port (useful with port 0); still known after {@link #close()}. */
  public int port() {
    return boundPort;
  }

  public Readiness readiness() {
    return readiness;
  }

  public CertificateReloader certificates() {
    return certificates;
  }

  /** Unready, drain delay, then a graceful stop. */
  @Override
  public void close() {
    readiness.set(false);
    try {
      if (!settings.drainDelay().isZero()) {
        LOG.info("shutting down: unready now, closing in {} s", settings.drainDelay().toSeconds());
        Thread.sleep(settings.drainDelay().toMillis());
      }
      server.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("webhook server did not stop cleanly: {}", e.toString());
    } finally {
      certificates.close();
    }
  }
}
