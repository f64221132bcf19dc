package dev.lanyard.agent;

import dev.lanyard.agent.upgrade.hooks.HookingTransformer;
import dev.lanyard.agent.upgrade.hooks.MethodHook;
import dev.lanyard.tls.LanyardLog;

/**
 * How the JDK socket hooks' transformer reports, as ByteBuddy's listener does for the other
 * hooks: hooked types go to {@code /identity}, a hook that cannot go in is one WARN line and an
 * {@code uncovered} entry (the bind or connect goes on unhooked; the application never crashes).
 * A class of its own so that, without an upgrade, verifying {@code AgentInstaller} loads none of
 * the hooks' classes ({@code StartupDeferralIT}).
 */
final class SocketHookReport implements HookingTransformer.Report {
  private final InstrumentationInstaller installer;
  private final TlsCoverage coverage;

  private SocketHookReport(InstrumentationInstaller installer, TlsCoverage coverage) {
    this.installer = installer;
    this.coverage = coverage;
  }

  static HookingTransformer.Report of(InstrumentationInstaller installer, TlsCoverage coverage) {
    return new SocketHookReport(installer, coverage);
  }

  @Override
  public void hooked(String type) {
    installer.hooked(type);
    LanyardLog.debug("instrumented " + type);
  }

  @Override
  public void notFound(MethodHook hook) {
    String type = hook.owner().replace('/', '.');
    String why = "no method " + hook.name() + hook.descriptor() + " in this JDK ("
        + Runtime.version() + "): binds or connects through it are not upgraded to mTLS";
    LanyardLog.warn("could not hook " + type + ": " + why);
    coverage.uncovered(type, why);
  }

  @Override
  public void failed(String type, Throwable failure) {
    LanyardLog.warn("could not instrument " + type + ", binds or connects through it are not"
        + " upgraded to mTLS: " + failure);
    coverage.uncovered(type, "could not instrument it: " + failure);
  }
}
