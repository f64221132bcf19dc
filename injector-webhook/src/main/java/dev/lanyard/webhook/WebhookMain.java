package dev.lanyard.webhook;

import dev.lanyard.webhook.admission.AdmissionHandler;
import dev.lanyard.webhook.admission.JitWarmup;
import dev.lanyard.webhook.admission.InjectionEvents;
import dev.lanyard.webhook.admission.OwnerEvents;
import dev.lanyard.webhook.admission.WebhookMetrics;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.InvalidConfigException;
import dev.lanyard.webhook.inject.PeerCeiling;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.server.InvalidTlsFilesException;
import dev.lanyard.webhook.server.WebhookServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar lanyard-webhook.jar --tls-cert tls.crt --tls-key tls.key [--port 8443] [--config
 * file]}.
 */
@Command(
    name = "lanyard-webhook",
    mixinStandardHelpOptions = true,
    versionProvider = WebhookMain.Version.class,
    description =
        "Lanyard's mutating admission webhook: POST /mutate (AdmissionReview v1), /healthz,"
            + " /readyz, /metrics.")
public final class WebhookMain implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookMain.class);

  @Option(
      names = "--port",
      description = "HTTPS port (default: ${DEFAULT-VALUE}).",
      defaultValue = "8443")
  int port;

  @Option(
      names = "--host",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).",
      defaultValue = "0.0.0.0")
  String host;

  @Option(
      names = "--tls-cert",
      required = true,
      description =
          "PEM certificate chain (e.g. tls.crt of a kubernetes.io/tls Secret); reloaded when it"
              + " changes.")
  Path certificate;

  @Option(
      names = "--tls-key",
      required = true,
      description = "PEM private key (PKCS#8, PKCS#1 or SEC1); reloaded when it changes.")
  Path key;

  @Option(
      names = "--config",
      description =
          "Injector configuration YAML (see injector-defaults.yaml); defaults when absent.")
  Path config;

  @Option(
      names = "--cert-check-seconds",
      defaultValue = "10",
      description = "How often to look for a renewed certificate (default: ${DEFAULT-VALUE}).")
  int certificateCheckSeconds;

  @Option(
      names = "--drain-seconds",
      defaultValue = "5",
      description =
          "On SIGTERM, stay up this long while unready, so the Service stops routing here (default:"
              + " ${DEFAULT-VALUE}).")
  int drainSeconds;

  @Option(
      names = "--metrics-port",
      defaultValue = "-1",
      description =
          "Also serve GET /metrics alone over plain HTTP on this port, for Prometheus (default:"
              + " off; the chart sets 9090).")
  int metricsPort;

  @Option(
      names = "--events",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Record Kubernetes Events on pods' owners (needs in-cluster credentials; default:"
              + " ${DEFAULT-VALUE}).")
  boolean events;

  @Option(
      names = "--warmup-admissions",
      defaultValue = "3000",
      description =
          "Admissions of a built-in pod run before listening, so the JIT has compiled the"
              + " admission path before the apiserver's first call; at most 10 s (default:"
              + " ${DEFAULT-VALUE}; 0 turns it off).")
  int warmupAdmissions;

  public static void main(String[] args) {
    System.exit(new CommandLine(new WebhookMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    InjectorConfig injectorConfig;
    try {
      injectorConfig =
          config == null ? InjectorConfigLoader.defaults() : InjectorConfigLoader.load(config);
    } catch (InvalidConfigException e) {
      System.err.println("lanyard-webhook: " + e.getMessage());
      return 2;
    }
    WebhookMetrics metrics = new WebhookMetrics();
    KubernetesClient client = events ? kubernetesClient() : null;
    OwnerEvents ownerEvents =
        client == null
            ? null
            : new OwnerEvents(
                client,
                metrics,
                Clock.systemUTC(),
                injectorConfig.namespaceLabel(),
                injectorConfig.webhookNamespace());
    InjectionEvents sink = ownerEvents == null ? InjectionEvents.NONE : ownerEvents;
    PodInjector injector = new PodInjector(injectorConfig);
    AdmissionHandler handler = new AdmissionHandler(injector, metrics, sink);
    if (warmupAdmissions > 0) {
      JitWarmup.Result warm = new JitWarmup(injector).run(warmupAdmissions, Duration.ofSeconds(10));
      LOG.info(
          "warmed up the admission path: {} admissions in {} ms{}",
          warm.admissions(),
          warm.took().toMillis(),
          warm.injected() ? "" : " (the built-in pod was not injected: check the configuration)");
    }
    WebhookServer server;
    try {
      server =
          new WebhookServer(
                  new WebhookServer.Settings(
                      host,
                      port,
                      certificate,
                      key,
                      Duration.ofSeconds(certificateCheckSeconds),
                      Duration.ofSeconds(drainSeconds),
                      Duration.ofSeconds(20)),
                  handler,
                  metrics);
      if (metricsPort >= 0) {
        server.serveMetricsOn(metricsPort);
      }
      server.start();
    } catch (InvalidTlsFilesException e) {
      System.err.println("lanyard-webhook: " + e.getMessage());
      return 2;
    } catch (IOException e) {
      // Jetty wraps the BindException; one line naming the address is what an operator needs.
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println(
          "lanyard-webhook: cannot listen on "
              + host
              + ":"
              + port
              + ": "
              + cause.getMessage()
              + " (another process holds the port? choose one with --port)");
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  if (ownerEvents != null) {
                    ownerEvents.close();
                  }
                  if (client != null) {
                    client.close();
                  }
                  stopped.countDown();
                },
                "lanyard-shutdown"));
    LOG.info(
        "Lanyard webhook {} ready (javaagent image {}, sidecar image {}, socket {}, ceiling: {})",
        injectorConfig.version(),
        injectorConfig.javaagent().image(),
        injectorConfig.sidecar().image(),
        injectorConfig.socket().type().wireName(),
        PeerCeiling.of(injectorConfig.ceiling()).summary());
    stopped.await();
    return 0;
  }

  private static KubernetesClient kubernetesClient() {
    try {
      return new KubernetesClientBuilder().build();
    } catch (RuntimeException e) {
      LOG.warn("no Kubernetes credentials ({}); Kubernetes Events are off", e.getMessage());
      return null;
    }
  }

  /** Picocli's {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"lanyard-webhook " + LanyardVersion.current()};
    }
  }
}
