package dev.lanyard.agent;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import dev.lanyard.agent.bootstrap.SocketBridge;
import dev.lanyard.agent.upgrade.hooks.JdkSocketHooks;
import dev.lanyard.agent.upgrade.hooks.MethodHook;
import dev.lanyard.agent.upgrade.hooks.NativeTransportHooks;
import dev.lanyard.tls.LanyardConfig;
import dev.lanyard.tls.LanyardLog;
import java.io.File;
import java.lang.instrument.Instrumentation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;

/**
 * Wires the javaagent inside its isolated class loader, called once by the bootstrap premain:
 * configuration (parsed once), the SVID source (started in the background: premain never waits
 * for SPIRE), the TLS hooks, the instrumentations, the admin endpoint and the startup watch.
 */
public final class AgentInstaller {
  private AgentInstaller() {}

  /** Entry point, called reflectively by {@code LanyardPremain}. */
  public static void install(Instrumentation instrumentation, String agentArgs, File agentJar,
      boolean lateAttach) {
    LanyardConfig config;
    try {
      config = LanyardConfig.fromEnvironment();
    } catch (IllegalArgumentException e) {
      StartupFailure.invalidConfiguration(e);
      return;
    }
    LanyardLog.setDebug(config.debug());
    String version = version(agentJar);
    TlsCoverage coverage = new TlsCoverage(java.time.Clock.systemUTC());
    InstrumentationInstaller installer = new InstrumentationInstaller(
        message -> LanyardLog.warn(message), LanyardLog::debug, coverage::uncovered);
    List<dev.lanyard.agent.instrumentation.Instrumentation> hooks =
        InstrumentationInstaller.all(config);
    // The socket hooks decide from the configuration alone which binds and connects to upgrade;
    // the runtime they take TLS from is handed over once it has started.
    PendingRuntime pending = new PendingRuntime(config.startupPolicy().waitFor());
    if (config.inboundUpgrade().enabled() || config.outboundUpgrade().enabled()) {
      SocketBridge.install(SocketUpgradeHooks.create(config, pending, coverage));
      // Before main on every path, and without ByteBuddy: the deferred transformer below cannot
      // gate socket classes. Lanyard's own start (the Workload API client, the admin endpoint)
      // loads java.net.Socket and the NIO channels too, and waiting for a class the
      // application's thread is loading would deadlock both (seen: HttpURLConnection in clear
      // text after 30 s). They need nothing of the runtime until an upgraded connection arrives.
      long began = System.nanoTime();
      // With them, frameworks that would pick Netty's native transports (which no socket hook
      // reaches) by detection are steered to NIO, whose sockets the hooks upgrade.
      List<MethodHook> socketHooks = new ArrayList<>(JdkSocketHooks.of(
          config.inboundUpgrade().enabled(), config.outboundUpgrade().enabled()));
      socketHooks.addAll(NativeTransportHooks.all());
      JdkSocketHooks.install(instrumentation, socketHooks, SocketHookReport.of(installer, coverage));
      LanyardLog.info("socket hooks for " + SocketUpgradeHooks.upgradeKeys(config) + " installed "
          + (lateAttach ? "" : "before main ") + "in " + (System.nanoTime() - began) / 1_000_000
          + " ms");
    }
    if (lateAttach) {
      // Attached to a running JVM: its TLS classes are loaded already, so hook them right now.
      AgentRuntime runtime = start(config, installer, coverage, pending);
      installer.install(instrumentation, hooks);
      runtime.tls().startAdminServers();
      StartupWatch.start(runtime, version);
      return;
    }
    Set<String> hooked = InstrumentationInstaller.hookedInternalNames(hooks);
    List<String> loadedEarly = loadedTypes(instrumentation, hooked);
    if (!loadedEarly.isEmpty()) {
      // Something used TLS before this premain (typically another -javaagent listed before
      // Lanyard's). Those classes are loaded already, so the deferred transformer could not make
      // main wait for the hooks: install them here, before main, as a late attach would.
      long began = System.nanoTime();
      AgentRuntime runtime =
          startWhileInstalling(config, installer, coverage, instrumentation, hooks, pending);
      runtime.tls().startAdminServers();
      LanyardLog.info("TLS classes were loaded before the javaagent (" + String.join(", ",
          loadedEarly) + "; another -javaagent listed before Lanyard's?): hooks installed before"
          + " main in " + (System.nanoTime() - began) / 1_000_000 + " ms; SSLContexts initialised"
          + " before them get the SVID and SPIFFE verification at their next use");
      for (String type : loadedEarly) {
        if (type.endsWith(".SslContextBuilder")) {
          // Hooked at build(): an SslContext built before now keeps its own key material.
          coverage.uncovered(type, "loaded before the javaagent: Netty SslContexts built before"
              + " its premain present no SVID and are not verified by SPIFFE ID");
          LanyardLog.warn(type + " was loaded before the javaagent: Netty SslContexts built"
              + " before its premain are not covered (build them later, or list Lanyard's"
              + " -javaagent first)");
        }
      }
      StartupWatch.start(runtime, version);
      return;
    }
    // At JVM start, premain only registers the deferred transformer; the SVID source, the admin
    // endpoint and ByteBuddy start on a daemon thread while the application's main runs. A hooked
    // TLS class that loads before they are ready waits for them (see DeferredTransformer).
    DeferredTransformer deferred = new DeferredTransformer(hooked, Duration.ofSeconds(30),
        message -> {
          LanyardLog.warn(message);
          coverage.uncovered("TLS classes loaded before the hooks were ready", message);
        });
    instrumentation.addTransformer(deferred, true);
    Thread thread = new Thread(() -> {
      long began = System.nanoTime();
      try {
        AgentRuntime runtime = start(config, installer, coverage, pending);
        deferred.ready(installer.build(instrumentation, hooks));
        retransformLoaded(instrumentation, hooked, coverage);
        runtime.tls().startAdminServers();
        LanyardLog.debug("started in the background in " + (System.nanoTime() - began) / 1_000_000
            + " ms");
        StartupWatch.start(runtime, version);
      } catch (Throwable t) {
        // Upgraded connections are refused from now on (never passed in clear text).
        pending.failed(t);
        // then=fail stops the JVM here; then=degrade runs on without Lanyard, and TLS classes no
        // longer wait for hooks that will not come.
        StartupFailure.agentFailed(t);
        deferred.ready(new java.lang.instrument.ClassFileTransformer() { });
      }
    }, "lanyard-start");
    thread.setDaemon(true);
    deferred.builtBy(thread);
    thread.start();
  }

  /** The runtime, with the bridge pointing at its hooks. */
  private static AgentRuntime start(LanyardConfig config, InstrumentationInstaller installer,
      TlsCoverage coverage, PendingRuntime pending) {
    AgentRuntime runtime;
    try {
      runtime = AgentRuntime.start(config, coverage);
    } catch (RuntimeException | Error e) {
      pending.failed(e);
      throw e;
    }
    runtime.coverage(installer::hookedTypes);
    LanyardBridge.install(runtime.hooks());
    pending.started(runtime);
    return runtime;
  }

  /**
   * Starts the runtime on another thread while ByteBuddy hooks the loaded classes on this one
   * (about half the time of doing both in turn). Until the bridge is installed the new advice
   * leaves TLS as it is, and an early context is adopted at its next use: main starts after both.
   */
  private static AgentRuntime startWhileInstalling(LanyardConfig config,
      InstrumentationInstaller installer, TlsCoverage coverage, Instrumentation instrumentation,
      List<dev.lanyard.agent.instrumentation.Instrumentation> hooks, PendingRuntime pending) {
    java.util.concurrent.CompletableFuture<AgentRuntime> runtime =
        new java.util.concurrent.CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        runtime.complete(start(config, installer, coverage, pending));
      } catch (Throwable t) {
        runtime.completeExceptionally(t);
      }
    }, "lanyard-start");
    thread.setDaemon(true);
    thread.start();
    installer.install(instrumentation, hooks);
    return runtime.join();
  }

  /** The names of the hooked classes already loaded, in any class loader. */
  private static List<String> loadedTypes(Instrumentation instrumentation, Set<String> hooked) {
    List<String> loaded = new ArrayList<>();
    for (Class<?> type : instrumentation.getAllLoadedClasses()) {
      String name = type.getName();
      if (hooked.contains(name.replace('.', '/')) && !loaded.contains(name)) {
        loaded.add(name);
      }
    }
    return loaded;
  }

  /** Hooked classes that loaded on this very thread before the transformer was ready. */
  private static void retransformLoaded(Instrumentation instrumentation, Set<String> hooked,
      TlsCoverage coverage) {
    List<Class<?>> loaded = new ArrayList<>();
    for (Class<?> type : instrumentation.getAllLoadedClasses()) {
      if (hooked.contains(type.getName().replace('.', '/'))
          && instrumentation.isModifiableClass(type)) {
        loaded.add(type);
      }
    }
    if (loaded.isEmpty()) {
      return;
    }
    try {
      instrumentation.retransformClasses(loaded.toArray(Class<?>[]::new));
    } catch (Exception | LinkageError e) {
      LanyardLog.warn("could not hook already loaded " + loaded + ": " + e);
      coverage.uncovered(loaded.toString(), "could not hook these already loaded classes: " + e);
    }
  }

  static String version(File agentJar) {
    try (JarFile jar = new JarFile(agentJar)) {
      String version = jar.getManifest().getMainAttributes().getValue("Implementation-Version");
      return version == null ? "dev" : version;
    } catch (Exception e) {
      return "dev";
    }
  }
}
