package dev.lanyard.agent;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import dev.lanyard.tls.ConfigKeys;
import dev.lanyard.tls.LanyardConfig;
import dev.lanyard.tls.LanyardLog;
import dev.lanyard.tls.StartupPolicy;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.lang.instrument.Instrumentation;
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
      ConfigurationFailure.handle(e);
      return;
    }
    LanyardLog.setDebug(config.debug());
    String version = version(agentJar);
    InstrumentationInstaller installer = new InstrumentationInstaller(
        message -> LanyardLog.warn(message), LanyardLog::debug);
    List<dev.lanyard.agent.instrumentation.Instrumentation> hooks =
        InstrumentationInstaller.all(config);
    if (lateAttach) {
      // Attached to a running JVM: its TLS classes are loaded already, so hook them right now.
      AgentRuntime runtime = start(config, installer);
      installer.install(instrumentation, hooks);
      StartupWatch.start(runtime, version);
      return;
    }
    // At JVM start, premain only registers the deferred transformer; the SVID source, the admin
    // endpoint and ByteBuddy start on a daemon thread while the application's main runs. A hooked
    // TLS class that loads before they are ready waits for them (see DeferredTransformer).
    Set<String> hooked = InstrumentationInstaller.hookedInternalNames(hooks);
    DeferredTransformer deferred = new DeferredTransformer(hooked, Duration.ofSeconds(30),
        LanyardLog::warn);
    instrumentation.addTransformer(deferred, true);
    Thread thread = new Thread(() -> {
      long began = System.nanoTime();
      AgentRuntime runtime = start(config, installer);
      deferred.ready(installer.build(instrumentation, hooks));
      retransformLoaded(instrumentation, hooked);
      LanyardLog.debug("started in the background in " + (System.nanoTime() - began) / 1_000_000
          + " ms");
      StartupWatch.start(runtime, version);
    }, "lanyard-start");
    thread.setDaemon(true);
    deferred.builtBy(thread);
    thread.start();
  }

  /** The runtime, with the bridge pointing at its hooks. */
  private static AgentRuntime start(LanyardConfig config, InstrumentationInstaller installer) {
    AgentRuntime runtime = AgentRuntime.start(config);
    runtime.coverage(installer::hookedTypes);
    LanyardBridge.install(runtime.hooks());
    return runtime;
  }

  /** Hooked classes that loaded on this very thread before the transformer was ready. */
  private static void retransformLoaded(Instrumentation instrumentation, Set<String> hooked) {
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

  /** What an invalid LANYARD_* setting does: fail closed, unless the startup policy says degrade. */
  static final class ConfigurationFailure {
    private ConfigurationFailure() {}

    static void handle(IllegalArgumentException problem) {
      boolean degrade = false;
      try {
        StartupPolicy policy = ConfigKeys.STARTUP.lookup(System.getenv(), System.getProperties())
            .map(StartupPolicy::parse).orElse(StartupPolicy.DEFAULT);
        degrade = policy.afterWait() == StartupPolicy.AfterWait.DEGRADE;
      } catch (IllegalArgumentException unparseable) {
        // an unreadable startup policy cannot ask for degraded mode
      }
      if (degrade) {
        System.err.println("lanyard: ERROR invalid configuration, the application runs WITHOUT"
            + " Lanyard (then=degrade): " + problem.getMessage());
      } else {
        System.err.println("lanyard: ERROR invalid configuration, stopping the application"
            + " (then=fail): " + problem.getMessage());
        System.exit(78);
      }
    }
  }
}
