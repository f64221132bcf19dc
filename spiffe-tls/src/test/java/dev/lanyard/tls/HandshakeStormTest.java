package dev.lanyard.tls;

import dev.lanyard.config.StartupPolicy;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 9 point 2, unit level: many threads take the SVID for a handshake while another thread
 * swaps SVIDs far faster than SPIRE ever does. Every handshake's chain and key must come from one
 * SVID, and no handshake may fail.
 *
 * <p>JSSE asks the key manager for an alias, then separately for that alias's key and chain
 * (X509Authentication: chooseXxxAlias, getPrivateKey, getCertificateChain). The first test makes
 * exactly those calls from many threads; the second runs real JSSE handshakes on loopback, where
 * the peer's signature check (CertificateVerify in TLS 1.3, ServerKeyExchange / CertificateVerify
 * in TLS 1.2) fails any handshake whose key does not belong to the presented leaf.
 */
class HandshakeStormTest {
  private static final String CLIENT = "spiffe://lanyard.test/ns/storm/sa/client";
  private static final String SERVER = "spiffe://lanyard.test/ns/storm/sa/server";
  private static final byte[] PROBE = "lanyard storm".getBytes(StandardCharsets.UTF_8);
  /** How long a storm may take to reach its counts on a loaded machine before the test fails. */
  private static final Duration MAX_STORM = Duration.ofSeconds(60);

  private final TestCa ca = TestCa.root("lanyard.test");
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable closeable : toClose) {
      closeable.close();
    }
  }

  @Test
  void keyManagerCallsFromManyThreadsNeverPairOneSvidsChainWithAnothersKey() throws Exception {
    List<Identity> pool = pool(SERVER, 24);
    Map<BigInteger, PrivateKey> keyOf = new ConcurrentHashMap<>();
    pool.forEach(identity -> keyOf.put(identity.serial(), identity.privateKey()));
    FakeSvidSource source = new FakeSvidSource(pool.get(0), ca.bundles());
    LanyardKeyManager keyManager =
        new LanyardKeyManager(new FirstSvidWait(source, StartupPolicy.parse("wait=0s")));

    int threads = 8;
    Duration runFor = Duration.ofSeconds(3);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong handshakes = new AtomicLong();
    AtomicLong signatureChecks = new AtomicLong();
    Set<BigInteger> served = ConcurrentHashMap.newKeySet();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    Swapper swapper = new Swapper(source, pool, 200_000); // a rotation every 0.2 ms
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread worker = new Thread(() -> {
        try {
          long n = 0;
          while (!stop.get()) {
            // JSSE's order for one handshake: alias, then key, then chain (both by that alias).
            String alias = id % 2 == 0
                ? keyManager.chooseEngineServerAlias("EC", null, null)
                : keyManager.chooseClientAlias(new String[] {"EC"}, null, null);
            PrivateKey key = keyManager.getPrivateKey(alias);
            X509Certificate[] chain = keyManager.getCertificateChain(alias);
            handshakes.incrementAndGet();
            if (alias == null || key == null || chain == null || chain.length == 0) {
              failures.add("alias " + alias + ": key " + (key != null) + ", chain "
                  + (chain != null));
              continue;
            }
            served.add(chain[0].getSerialNumber());
            if (keyOf.get(chain[0].getSerialNumber()) != key) {
              failures.add("alias " + alias + ": chain of " + chain[0].getSerialNumber()
                  .toString(16) + " with another SVID's key");
            }
            if (n++ % 64 == 0) { // and the real proof, on a sample: the key signs, the leaf verifies
              signatureChecks.incrementAndGet();
              if (!keyMatches(key, chain[0])) {
                failures.add("alias " + alias + ": the key does not verify with the leaf");
              }
            }
          }
        } catch (RuntimeException e) {
          failures.add(e.toString());
        } finally {
          done.countDown();
        }
      }, "storm-" + t);
      worker.start();
    }
    swapper.start();
    // At least runFor, and on until the storm is big enough to mean something: a count, not a
    // rate, so a loaded machine makes the test slower, never red.
    long started = System.nanoTime();
    Thread.sleep(runFor.toMillis());
    while ((handshakes.get() <= 10_000 || swapper.rotations.get() <= 1000)
        && System.nanoTime() - started < MAX_STORM.toNanos()) {
      Thread.sleep(50);
    }
    stop.set(true);
    swapper.stop();
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();

    System.out.printf("key manager storm: %d threads, %d handshakes' (alias, key, chain) in %d s,"
            + " %d rotations, %d distinct SVIDs served, %d signature checks, %d failures%n",
        threads, handshakes.get(), Duration.ofNanos(System.nanoTime() - started).toSeconds(), swapper.rotations.get(), served.size(),
        signatureChecks.get(), failures.size());
    assertThat(failures).as("mismatched or missing chain/key").isEmpty();
    assertThat(swapper.rotations.get()).as("rotations during the storm").isGreaterThan(1000);
    assertThat(served).as("SVIDs handed out").hasSizeGreaterThan(pool.size() / 2);
    assertThat(handshakes.get()).isGreaterThan(10_000);
  }

  /**
   * Real JSSE handshakes on loopback, both sides rotating every 5 ms (SPIRE rotates every few
   * seconds at the shortest), fresh handshakes only (a new client context per connection).
   */
  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void freshHandshakesFromManyThreadsWhileBothSidesRotateAllSucceed(String protocol)
      throws Exception {
    List<Identity> serverPool = pool(SERVER, 12);
    List<Identity> clientPool = pool(CLIENT, 12);
    FakeSvidSource serverSource = new FakeSvidSource(serverPool.get(0), ca.bundles());
    FakeSvidSource clientSource = new FakeSvidSource(clientPool.get(0), ca.bundles());
    StormServer server = new StormServer(workload(serverSource).newSslContext(), protocol);
    toClose.add(server);
    LanyardTls clientTls = workload(clientSource);
    AtomicLong clientDecisions = new AtomicLong();
    clientTls.addDecisionListener(decision -> clientDecisions.incrementAndGet());

    int threads = 8;
    Duration runFor = Duration.ofSeconds(4);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong ok = new AtomicLong();
    Set<BigInteger> serverSerials = ConcurrentHashMap.newKeySet();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    Swapper serverSwapper = new Swapper(serverSource, serverPool, 5_000_000);
    Swapper clientSwapper = new Swapper(clientSource, clientPool, 5_000_000);
    serverSwapper.start();
    clientSwapper.start();
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      Thread worker = new Thread(() -> {
        try {
          while (!stop.get()) {
            try {
              // A new context (and session cache) per connection: nothing to resume.
              SSLContext client = clientTls.newSslContext();
              SSLSession session = call(client, server.port(), protocol);
              ok.incrementAndGet();
              X509Certificate leaf = (X509Certificate) session.getPeerCertificates()[0];
              serverSerials.add(leaf.getSerialNumber());
              if (!session.getProtocol().equals(protocol)) {
                failures.add("negotiated " + session.getProtocol());
              }
            } catch (IOException e) {
              failures.add(LoopbackTls.causeChain(e));
            }
          }
        } finally {
          done.countDown();
        }
      }, "storm-client-" + t);
      worker.start();
    }
    // At least runFor, and on until the storm is big enough to mean something: a count, not a
    // rate, so a loaded machine makes the test slower, never red.
    long started = System.nanoTime();
    Thread.sleep(runFor.toMillis());
    while ((ok.get() <= 100 || serverSwapper.rotations.get() <= 100)
        && System.nanoTime() - started < MAX_STORM.toNanos()) {
      Thread.sleep(50);
    }
    stop.set(true);
    assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
    serverSwapper.stop();
    clientSwapper.stop();

    System.out.printf("%s handshake storm: %d threads, %d fresh handshakes in %d s, %d failed,"
            + " %d server failures, server rotations %d, client rotations %d, distinct server"
            + " serials seen by clients %d, distinct client serials seen by the server %d%n",
        protocol, threads, ok.get(), Duration.ofNanos(System.nanoTime() - started).toSeconds(),
        failures.size(), server.failures.size(),
        serverSwapper.rotations.get(), clientSwapper.rotations.get(), serverSerials.size(),
        server.clientSerials.size());
    assertThat(failures).as("client-side failures").isEmpty();
    assertThat(server.failures).as("server-side failures").isEmpty();
    assertThat(clientDecisions.get()).as("full handshakes (one trust decision each): none resumed")
        .isEqualTo(ok.get());
    assertThat(ok.get()).isGreaterThan(100);
    assertThat(serverSwapper.rotations.get()).isGreaterThan(100);
    assertThat(serverSerials).as("server SVIDs seen").hasSizeGreaterThan(serverPool.size() / 2);
    assertThat(server.clientSerials).as("client SVIDs seen").hasSizeGreaterThan(clientPool.size() / 2);
  }

  private List<Identity> pool(String id, int size) {
    List<Identity> pool = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      pool.add(ca.svid(id));
    }
    return pool;
  }

  private LanyardTls workload(FakeSvidSource source) {
    LanyardTls tls = LanyardTls.builder(LanyardConfig.fromEnv(
            Map.of("LANYARD_ADMIN_ADDRESS", "off", "LANYARD_AUDIT", "off"), new Properties()))
        .svidSource(source)
        .webPkiTrustManager(LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm()))
        .auditOutput(new PrintStream(new ByteArrayOutputStream()))
        .build();
    toClose.add(tls);
    return tls;
  }

  private static boolean keyMatches(PrivateKey key, X509Certificate leaf) {
    try {
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(key);
      signer.update(PROBE);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(leaf.getPublicKey());
      verifier.update(PROBE);
      return verifier.verify(signature);
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }

  /** One fresh connection: handshake, one byte each way. */
  private static SSLSession call(SSLContext context, int port, String protocol) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
      socket.setSoTimeout(20_000);
      SSLSocket tls = (SSLSocket) context.getSocketFactory()
          .createSocket(socket, "api.storm.svc", port, true);
      SSLParameters parameters = tls.getSSLParameters();
      parameters.setProtocols(new String[] {protocol});
      tls.setSSLParameters(parameters);
      tls.startHandshake();
      tls.getOutputStream().write(42);
      tls.getOutputStream().flush();
      if (tls.getInputStream().read() != 42) {
        throw new IOException("echo failed");
      }
      SSLSession session = tls.getSession();
      tls.close();
      return session;
    }
  }

  /** Swaps the source's SVID round the pool every {@code periodNanos}. */
  private static final class Swapper {
    final AtomicLong rotations = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopped;

    Swapper(FakeSvidSource source, List<Identity> pool, long periodNanos) {
      thread = new Thread(() -> {
        int i = 0;
        while (!stopped) {
          i = (i + 1) % pool.size();
          source.update(pool.get(i), source.bundles());
          rotations.incrementAndGet();
          LockSupport.parkNanos(periodNanos);
        }
      }, "svid-swapper");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      stopped = true;
      thread.join(10_000);
    }
  }

  /** A loopback echo server handling each connection on its own thread; mTLS required. */
  private static final class StormServer implements AutoCloseable {
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final Set<BigInteger> clientSerials = ConcurrentHashMap.newKeySet();
    private final SSLServerSocket socket;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
      Thread thread = new Thread(r, "storm-server");
      thread.setDaemon(true);
      return thread;
    });

    StormServer(SSLContext context, String protocol) throws IOException {
      socket = (SSLServerSocket) context.getServerSocketFactory()
          .createServerSocket(0, 200, InetAddress.getLoopbackAddress());
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setNeedClientAuth(true);
      parameters.setProtocols(new String[] {protocol});
      socket.setSSLParameters(parameters);
      workers.execute(this::accept);
    }

    int port() {
      return socket.getLocalPort();
    }

    private void accept() {
      while (!socket.isClosed()) {
        try {
          SSLSocket connection = (SSLSocket) socket.accept();
          workers.execute(() -> serve(connection));
        } catch (IOException e) {
          if (!socket.isClosed()) {
            failures.add("accept: " + e);
          }
        }
      }
    }

    private void serve(SSLSocket connection) {
      try (connection) {
        connection.setSoTimeout(20_000);
        connection.startHandshake();
        InputStream in = connection.getInputStream();
        OutputStream out = connection.getOutputStream();
        int b = in.read();
        out.write(b);
        out.flush();
        clientSerials.add(((X509Certificate) connection.getSession().getPeerCertificates()[0])
            .getSerialNumber());
        in.read(); // until the client closes
      } catch (IOException | RuntimeException e) {
        failures.add(LoopbackTls.causeChain(e));
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
      workers.shutdownNow();
    }
  }
}
