package dev.lanyard.testkit;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real etcd and kube-apiserver on loopback (no kubelet: pods are stored, never run), with
 * client-certificate admin access (O=system:masters), RBAC, and the default admission chain
 * (MutatingAdmissionWebhook, PodSecurity, ...) minus ServiceAccount, which needs a controller.
 */
public final class KubeApiServer implements AutoCloseable {
  private static final char[] NO_PASSWORD = new char[0];

  /**
   * Where and how the control plane runs. The standalone server: loopback, no controllers, so no
   * ServiceAccount admission and no endpoint reconciler. {@link KubeNode} places it in the node's
   * network namespace on the node's address, with the settings a kubelet needs.
   *
   * @param address the address kube-apiserver binds and advertises
   * @param port its secure port
   * @param launcher a prefix for every command (such as {@code nsenter --net=...}), or empty
   * @param servingIps extra IP addresses in its serving certificate (the {@code kubernetes} Service's)
   * @param clusterArgs flags that differ between the two: admission, authorization, kubelet client
   */
  record Placement(String address, int port, List<String> launcher, List<String> servingIps,
      List<String> clusterArgs) {
    static Placement standalone() {
      return new Placement("127.0.0.1", FreePorts.next(), List.of(), List.of(), List.of(
          "--authorization-mode", "RBAC",
          "--disable-admission-plugins", "ServiceAccount",
          "--endpoint-reconciler-type", "none"));
    }
  }

  private final TempDir root;
  private final TestPki pki;
  private final TestPki.Issued admin;
  private final Placement placement;
  private ManagedProcess etcd;
  private ManagedProcess apiserver;
  private KubernetesClient client;

  private KubeApiServer(TempDir root, TestPki pki, Placement placement) {
    this.root = root;
    this.pki = pki;
    this.admin = pki.client("lanyard-admin", "system:masters");
    this.placement = placement;
  }

  /** Starts etcd and kube-apiserver and waits for /readyz. Cleans up if anything fails. */
  public static KubeApiServer start() {
    TempDir root = TempDir.create("lanyard-kube-");
    KubeApiServer server = start(root, TestPki.create("lanyard-test-kubernetes-ca"), Placement.standalone());
    return server;
  }

  /**
   * Starts etcd and kube-apiserver under {@code root} (which the server then owns and deletes on
   * close). Fails with the logs, after cleaning up, if either does not come up.
   */
  static KubeApiServer start(TempDir root, TestPki pki, Placement placement) {
    try {
      Tools.require("etcd");
      Tools.require("kube-apiserver");
    } catch (IllegalStateException e) {
      root.close();
      throw e;
    }
    KubeApiServer server = new KubeApiServer(root, pki, placement);
    try {
      server.startEtcd();
      server.startApiserver();
      server.awaitReady(Duration.ofSeconds(90));
      server.writeKubeconfig();
      return server;
    } catch (RuntimeException e) {
      String logs = server.logs();
      server.close();
      throw new IllegalStateException("kube-apiserver did not start: " + e.getMessage() + "\n" + logs, e);
    }
  }

  public String url() {
    return "https://" + placement.address() + ":" + placement.port();
  }

  /** The CA that signs every certificate of this cluster (serving, clients, kubelet). */
  TestPki pki() {
    return pki;
  }

  /**
   * A client certificate from this cluster's CA: user {@code user} in group {@code group} (null:
   * none). The API server and, under Webhook authentication, a kubelet take it as that user; what
   * it may do is up to RBAC (bind a role to the user).
   */
  public TestPki.Issued issueClientCertificate(String user, String group) {
    return pki.client(user, group);
  }

  /** A kubeconfig file at {@code file} that reaches this server with {@code credentials}. */
  public Path writeKubeconfig(Path file, TestPki.Issued credentials) {
    return write(file, kubeconfigText(credentials));
  }

  /** The directory this server keeps its data, certificates and logs in. */
  Path root() {
    return root.path();
  }

  /** The key the apiserver's ServiceAccount tokens are signed with (kube-controller-manager's too). */
  Path serviceAccountKey() {
    return root.path().resolve("pki").resolve("sa.key");
  }

  /** The CA that signed the apiserver's serving certificate (PEM). */
  public String caPem() {
    return pki.caPem();
  }

  /** A kubeconfig file with cluster-admin credentials, for kubectl and helm. */
  public Path kubeconfig() {
    return root.path().resolve("kubeconfig");
  }

  /** A cluster-admin fabric8 client (shared; closed with the server). */
  public synchronized KubernetesClient adminClient() {
    if (client == null) {
      client = new KubernetesClientBuilder().withConfig(adminConfig()).build();
    }
    return client;
  }

  /** A fabric8 config with cluster-admin credentials. */
  public Config adminConfig() {
    return new ConfigBuilder()
        .withMasterUrl(url())
        .withCaCertData(base64(pki.caPem()))
        .withClientCertData(base64(admin.certificatePem()))
        .withClientKeyData(base64(admin.keyPem()))
        .withClientKeyAlgo("EC")
        .withNamespace("default")
        .build();
  }

  /** Runs the real kubectl (built with the apiserver) against this server. */
  public Command.Result kubectl(String... args) {
    return kubectl(Duration.ofSeconds(60), args);
  }

  /** Runs the real kubectl, killing it after {@code timeout} (for {@code rollout status}, {@code wait}). */
  public Command.Result kubectl(Duration timeout, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of(
        Tools.require("kubectl").toString(), "--kubeconfig", kubeconfig().toString(),
        // its discovery cache stays with this server instead of in ~/.kube
        "--cache-dir", root.path().resolve("kubectl-cache").toString()));
    command.addAll(List.of(args));
    return Command.run(timeout, command);
  }

  public String logs() {
    StringBuilder out = new StringBuilder();
    for (ManagedProcess process : new ManagedProcess[] {etcd, apiserver}) {
      if (process != null) {
        out.append("---- ").append(process.name()).append(" log (").append(process.log())
            .append(") ----\n").append(process.tail(60)).append('\n');
      }
    }
    return out.toString();
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
    if (apiserver != null) {
      apiserver.stop(Duration.ofSeconds(15));
    }
    if (etcd != null) {
      etcd.stop(Duration.ofSeconds(10));
    }
    root.close();
  }

  private int etcdClientPort;

  private void startEtcd() {
    etcdClientPort = FreePorts.next();
    int peerPort = FreePorts.next();
    String client = "http://127.0.0.1:" + etcdClientPort;
    String peer = "http://127.0.0.1:" + peerPort;
    etcd = ManagedProcess.start("etcd", launched(
        Tools.require("etcd").toString(),
        "--name", "lanyard-test",
        "--data-dir", root.dir("etcd").toString(),
        "--listen-client-urls", client, "--advertise-client-urls", client,
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", "lanyard-test=" + peer,
        "--unsafe-no-fsync", "--log-level", "warn"),
        Map.of(), root.path(), root.path().resolve("etcd.log"));
    if (placement.launcher().isEmpty()) {
      awaitHttp200(client + "/health", Duration.ofSeconds(30), HttpClient.newHttpClient(), etcd);
    } else {
      awaitInPlacement(client + "/health", Duration.ofSeconds(30), etcd);
    }
  }

  /**
   * Waits for a URL that only the placement's network reaches (etcd stays on the node's own
   * loopback: nothing outside the node, pods included, may talk to it).
   */
  private void awaitInPlacement(String url, Duration timeout, ManagedProcess process) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(process.name() + " exited; log:\n" + process.tail(60));
      }
      Command.Result probe = Command.run(Duration.ofSeconds(5), launched("curl", "-sf", "-m", "2", url));
      if (probe.ok()) {
        return;
      }
      last = probe.output().strip();
      ManagedProcess.sleep(200);
    }
    throw new IllegalStateException(url + " not ready within " + timeout + ": " + last);
  }

  private void startApiserver() {
    Path pkiDir = root.dir("pki");
    List<String> servingIps = new java.util.ArrayList<>(List.of(placement.address()));
    servingIps.addAll(placement.servingIps());
    TestPki.Issued serving = pki.server("kube-apiserver",
        List.of("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local"),
        servingIps);
    KeyPair serviceAccountKeys = TestPki.newKeyPair("RSA");
    Path ca = write(pkiDir.resolve("ca.crt"), pki.caPem());
    Path cert = write(pkiDir.resolve("apiserver.crt"), serving.certificatePem());
    Path key = write(pkiDir.resolve("apiserver.key"), serving.keyPem());
    Path saPub = write(pkiDir.resolve("sa.pub"), TestPki.pem(serviceAccountKeys.getPublic()));
    Path saKey = write(pkiDir.resolve("sa.key"), TestPki.pkcs8Pem(serviceAccountKeys.getPrivate()));
    List<String> args = new java.util.ArrayList<>(List.of(
        Tools.require("kube-apiserver").toString(),
        "--etcd-servers", "http://127.0.0.1:" + etcdClientPort,
        "--bind-address", placement.address(),
        "--advertise-address", placement.address(),
        "--secure-port", Integer.toString(placement.port()),
        "--cert-dir", root.dir("apiserver-certs").toString(),
        "--tls-cert-file", cert.toString(),
        "--tls-private-key-file", key.toString(),
        "--client-ca-file", ca.toString(),
        "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file", saPub.toString(),
        "--service-account-signing-key-file", saKey.toString(),
        "--service-cluster-ip-range", SERVICE_CIDR,
        "--allow-privileged=true",
        "--v", "0"));
    args.addAll(placement.clusterArgs());
    apiserver = ManagedProcess.start("kube-apiserver", launched(args.toArray(String[]::new)),
        Map.of(), root.path(), root.path().resolve("kube-apiserver.log"));
  }

  /** The Service IP range; its first address is the {@code kubernetes} Service's. */
  static final String SERVICE_CIDR = "10.96.0.0/24";

  private List<String> launched(String... command) {
    List<String> full = new java.util.ArrayList<>(placement.launcher());
    full.addAll(List.of(command));
    return full;
  }

  private void awaitReady(Duration timeout) {
    awaitHttp200(url() + "/readyz", timeout, adminHttpClient(), apiserver);
  }

  private HttpClient adminHttpClient() {
    try {
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(admin.keyStore(NO_PASSWORD), NO_PASSWORD);
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(pki.trustStore());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
      return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(2)).build();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot build admin TLS context", e);
    }
  }

  private static void awaitHttp200(String url, Duration timeout, HttpClient http, ManagedProcess process) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(process.name() + " exited; log:\n" + process.tail(60));
      }
      try {
        HttpResponse<String> response = http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
        last = response.statusCode() + " " + response.body();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      ManagedProcess.sleep(200);
    }
    throw new IllegalStateException(url + " not ready within " + timeout + ": " + last);
  }

  private void writeKubeconfig() {
    writeKubeconfig(kubeconfig(), admin);
  }

  private String kubeconfigText(TestPki.Issued credentials) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: lanyard-test
          cluster:
            server: %s
            certificate-authority-data: %s
        users:
        - name: lanyard-admin
          user:
            client-certificate-data: %s
            client-key-data: %s
        contexts:
        - name: lanyard-test
          context:
            cluster: lanyard-test
            user: lanyard-admin
            namespace: default
        current-context: lanyard-test
        """.formatted(url(), base64(pki.caPem()), base64(credentials.certificatePem()),
        base64(credentials.keyPem()));
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  static Path write(Path file, String content) {
    try {
      return Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
