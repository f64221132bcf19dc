package dev.lanyard.agent;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import dev.lanyard.tls.ConfigKeys;
import dev.lanyard.tls.LanyardConfig;
import dev.lanyard.tls.LanyardLog;
import dev.lanyard.tls.StartupPolicy;
import java.io.File;
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
    long began = System.nanoTime();
    String version = version(agentJar);
    AgentRuntime runtime = AgentRuntime.start(config);
    LanyardBridge.install(runtime.hooks());
    long runtimeReady = System.nanoTime();
    InstrumentationInstaller installer = new InstrumentationInstaller(
        message -> LanyardLog.warn(message), LanyardLog::debug);
    installer.install(instrumentation, InstrumentationInstaller.all());
    runtime.coverage(installer::hookedTypes);
    StartupWatch.start(runtime, version);
    LanyardLog.debug("premain: runtime " + (runtimeReady - began) / 1_000_000 + " ms, instrumentation "
        + (System.nanoTime() - runtimeReady) / 1_000_000 + " ms");
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
