package dev.lanyard.compat;

import com.google.common.collect.ImmutableList;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import javax.net.ssl.KeyManagerFactory;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import org.slf4j.LoggerFactory;

/**
 * A workload that bundles other versions of the libraries the javaagent itself uses (gRPC 1.6x with
 * Netty 4.1 and its epoll native library, protobuf 3, an older Guava, ByteBuddy 1.14, SLF4J 1.7),
 * so that running it under the javaagent shows the two sets do not clash.
 *
 * <p>It prints, one line per library, the version it actually loaded (read from the jar each
 * class came from) — {@code LOADED library=<name> version=<v> jar=<file>} — uses each library once
 * ({@code USED ...}), then calls {@code --url} with the JDK {@code HttpClient} exactly like
 * {@code JdkHttpClientApp} and, with {@code --grpc-target host:port}, {@code GrpcServerApp}'s
 * service through its own gRPC and Netty (epoll when available). Each call prints the usual
 * {@code OK}/{@code FAIL} lines and a {@code SUMMARY}; the exit code is 0 only if all succeeded.
 * Options: {@code --url}, {@code --grpc-target}, {@code --tls default|keystore|plain},
 * {@code --keystore}, {@code --truststore}, {@code --password}, {@code --requests},
 * {@code --interval-ms}, {@code --concurrency}, {@code --timeout-ms},
 * {@code --new-connection-per-request}.
 */
public final class IsolationApp {
  private static final String APP = "IsolationApp";

  private IsolationApp() {}

  public static void main(String[] args) throws Exception {
    AppArgs.exitOnUsageError(() -> {
      List<String> options = new ArrayList<>(List.of("url", "grpc-target"));
      options.addAll(TlsSettings.OPTIONS);
      options.addAll(ClientRunner.OPTIONS);
      AppArgs parsed = AppArgs.parse(APP, args, options, ClientRunner.FLAGS);
      String url = parsed.get("url", null);
      String grpcTarget = parsed.get("grpc-target", null);
      if (url == null && grpcTarget == null) {
        throw new AppArgs.UsageException(APP + ": give --url, --grpc-target or both");
      }
      TlsSettings tls = TlsSettings.from(parsed);
      ClientRunner.Settings loop = ClientRunner.Settings.from(parsed);

      printLoadedVersions();
      useEachLibrary();

      int exit = 0;
      if (url != null) {
        ClientRunner.ClientFactory http =
            JdkHttpClientApp.clients(new ClientMain.Settings(APP, url, tls, loop));
        exit |= new ClientRunner(loop, System.out).run(http);
      }
      if (grpcTarget != null) {
        exit |= new ClientRunner(loop, System.out).run(grpcClients(grpcTarget, tls, loop));
      }
      System.exit(exit);
    });
  }

  private static void printLoadedVersions() {
    loaded("grpc", "io.grpc.internal.GrpcUtil", "io.grpc", "grpc-core");
    loaded("netty", "io.netty.channel.Channel", "io.netty", "netty-transport");
    loaded("protobuf", "com.google.protobuf.Message", "com.google.protobuf", "protobuf-java");
    loaded("guava", "com.google.common.collect.ImmutableList", "com.google.guava", "guava");
    loaded("bytebuddy", "net.bytebuddy.ByteBuddy", "net.bytebuddy", "byte-buddy");
    loaded("slf4j", "org.slf4j.LoggerFactory", "org.slf4j", "slf4j-api");
    System.out.println("LOADED library=netty-epoll version="
        + nettyVersion("netty-transport-native-epoll") + " available=" + Epoll.isAvailable()
        + (Epoll.isAvailable() ? "" : " cause=" + Failures.describe(Epoll.unavailabilityCause())));
  }

  /** Touches each library for real, so that a clash would fail here rather than go unseen. */
  private static void useEachLibrary() throws Exception {
    Struct struct = Struct.newBuilder()
        .putFields("app", Value.newBuilder().setStringValue(APP).build()).build();
    Struct parsed = Struct.parseFrom(struct.toByteArray());
    ImmutableList<String> names = ImmutableList.of("protobuf", "guava", "bytebuddy", "slf4j");
    Class<?> generated = new ByteBuddy(ClassFileVersion.JAVA_V8)
        .subclass(Object.class)
        .name("dev.lanyard.compat.GeneratedByIsolationApp")
        .make()
        .load(IsolationApp.class.getClassLoader(), ClassLoadingStrategy.Default.WRAPPER)
        .getLoaded();
    LoggerFactory.getLogger(IsolationApp.class)
        .info("SLF4J 1.7 logging from the application ({} libraries used)", names.size());
    System.out.println("USED protobuf=" + parsed.getFieldsOrThrow("app").getStringValue()
        + " guava=" + names.size() + " bytebuddy=" + generated.getSimpleName()
        + " slf4j=" + LoggerFactory.getILoggerFactory().getClass().getSimpleName());
  }

  private static ClientRunner.ClientFactory grpcClients(
      String target, TlsSettings tls, ClientRunner.Settings loop) throws Exception {
    ChannelCredentials credentials;
    if (!tls.mode().isTls()) {
      credentials = InsecureChannelCredentials.create();
    } else if (tls.mode() == TlsMode.DEFAULT) {
      credentials = TlsChannelCredentials.create();
    } else {
      TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder()
          .trustManager(tls.trustManagerFactory().getTrustManagers());
      KeyManagerFactory keys = tls.keyManagerFactory();
      if (keys != null) {
        builder.keyManager(keys.getKeyManagers());
      }
      credentials = builder.build();
    }
    long timeoutMillis = loop.timeoutMillis();
    return () -> {
      ManagedChannel channel = NettyChannelBuilder.forTarget(target, credentials).build();
      return new ClientRunner.Client() {
        @Override
        public ClientRunner.Response send() throws Exception {
          return whoami(channel, timeoutMillis);
        }

        @Override
        public void close() throws InterruptedException {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      };
    };
  }

  private static ClientRunner.Response whoami(ManagedChannel channel, long timeoutMillis)
      throws Exception {
    ClientCall<String, String> call = channel.newCall(PeerService.WHOAMI,
        CallOptions.DEFAULT.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS));
    CompletableFuture<String> reply = new CompletableFuture<>();
    StringBuilder body = new StringBuilder();
    call.start(new ClientCall.Listener<String>() {
      @Override
      public void onMessage(String message) {
        body.append(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (status.isOk()) {
          reply.complete(body.toString());
        } else {
          reply.completeExceptionally(status.asRuntimeException(trailers));
        }
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage("whoami");
    call.halfClose();
    String message;
    try {
      message = reply.get(timeoutMillis + 1_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
    String peer = Peers.of(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    return new ClientRunner.Response(Status.Code.OK.name(), peer, message);
  }

  private static void loaded(String library, String className, String group, String artifact) {
    String version = "unknown";
    String jar = "unknown";
    try {
      Class<?> anchor = Class.forName(className, false, IsolationApp.class.getClassLoader());
      CodeSource source = anchor.getProtectionDomain().getCodeSource();
      if (source != null && source.getLocation() != null) {
        Path path = Path.of(source.getLocation().toURI());
        jar = path.getFileName().toString();
        version = pomVersion(path, group, artifact);
      }
      if (version == null && anchor.getPackage() != null) {
        version = anchor.getPackage().getImplementationVersion();
      }
    } catch (ClassNotFoundException | URISyntaxException | IOException e) {
      version = "error(" + Failures.describe(e) + ")";
    }
    System.out.println("LOADED library=" + library + " version=" + version + " jar=" + jar);
  }

  /**
   * The version the jar declares: its Maven metadata, else its manifest's Bundle-Version (protobuf's
   * jar, built by Bazel, has only that); null if neither.
   */
  private static String pomVersion(Path jar, String group, String artifact) throws IOException {
    if (!jar.toString().endsWith(".jar")) {
      return null;
    }
    try (JarFile file = new JarFile(jar.toFile())) {
      ZipEntry entry = file.getEntry("META-INF/maven/" + group + "/" + artifact + "/pom.properties");
      if (entry != null) {
        Properties properties = new Properties();
        try (InputStream in = file.getInputStream(entry)) {
          properties.load(in);
        }
        return properties.getProperty("version");
      }
      return file.getManifest() == null ? null
          : file.getManifest().getMainAttributes().getValue("Bundle-Version");
    }
  }

  private static String nettyVersion(String artifact) {
    var version = io.netty.util.Version.identify().get(artifact);
    return version == null ? "absent" : version.artifactVersion();
  }
}
