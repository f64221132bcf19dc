package dev.lanyard.agent.upgrade.hooks;

import java.util.Objects;

/**
 * One method to hook and the bridge calls {@link HookingTransformer} inserts into it, named by
 * exact descriptors (no matching): on entry, argument 0 replaced by what the bridge returns for
 * {@code (this, argument 0)}; on exit, the bridge told on every return and every throw; or each
 * returned value passed through the bridge. A bridge is a public static method of a class every
 * hooked class can see (the bootstrap loader's {@code SocketBridge}, {@code LanyardBridge}).
 */
public final class MethodHook {
  /** What the hook does when the method ends. */
  public enum Exit {
    /** Nothing. */
    NONE,
    /** {@code bridge(Object this, Throwable thrown)V}: null on a return, else what was thrown. */
    THIS_AND_THROWN,
    /** {@code bridge(Object this)V}, on a return and on a throw alike. */
    THIS,
    /** {@code bridge(R returned)R} on each return (R the method's return type); a throw passes. */
    FILTER_RETURN,
    /**
     * {@code bridge(R returned, Class<?> owner)R}, as {@link #FILTER_RETURN} with the hooked
     * class (for a bridge that asks who called it, like a static {@code isAvailable()}'s).
     */
    FILTER_RETURN_WITH_CLASS
  }

  private final String owner;
  private final String name;
  private final String descriptor;
  private final String bridge;
  private final String entry;
  private final Exit exit;
  private final String exitMethod;
  private final int sinceJdk;
  private final boolean jdkClass;

  private MethodHook(String owner, String name, String descriptor, String bridge, String entry,
      Exit exit, String exitMethod, int sinceJdk, boolean jdkClass) {
    this.owner = Objects.requireNonNull(owner);
    this.name = Objects.requireNonNull(name);
    this.descriptor = Objects.requireNonNull(descriptor);
    this.bridge = Objects.requireNonNull(bridge);
    this.entry = entry;
    this.exit = Objects.requireNonNull(exit);
    this.exitMethod = exitMethod;
    this.sinceJdk = sinceJdk;
    this.jdkClass = jdkClass;
  }

  /**
   * A method of a JDK class ({@code owner} as {@code a/b/C}, defined by the bootstrap loader),
   * hooked with calls to static methods of {@code bridge} (also {@code a/b/C}).
   */
  public static MethodHook jdk(String owner, String name, String descriptor, String bridge) {
    return new MethodHook(owner, name, descriptor, bridge, null, Exit.NONE, null, 0, true);
  }

  /** A method of a library class, in any class loader but the javaagent's own. */
  public static MethodHook library(String owner, String name, String descriptor, String bridge) {
    return new MethodHook(owner, name, descriptor, bridge, null, Exit.NONE, null, 0, false);
  }

  /**
   * On entry, argument 0 becomes {@code bridge.method(this, argument 0)}, whose descriptor is
   * {@code (Ljava/lang/Object;A)A} with A the argument's type; what it throws propagates to the
   * caller and the method does not run (nor its exit hook).
   */
  public MethodHook replacingArgument0(String method) {
    return new MethodHook(owner, name, descriptor, bridge, method, exit, exitMethod, sinceJdk,
        jdkClass);
  }

  /** On exit, {@code bridge.method} as {@code kind} says. */
  public MethodHook onExit(Exit kind, String method) {
    return new MethodHook(owner, name, descriptor, bridge, entry, kind, method, sinceJdk,
        jdkClass);
  }

  /** The method exists from this JDK feature release on: on older JDKs its absence is no fault. */
  public MethodHook since(int feature) {
    return new MethodHook(owner, name, descriptor, bridge, entry, exit, exitMethod, feature,
        jdkClass);
  }

  public String owner() {
    return owner;
  }

  public String name() {
    return name;
  }

  public String descriptor() {
    return descriptor;
  }

  String bridge() {
    return bridge;
  }

  String entry() {
    return entry;
  }

  Exit exit() {
    return exit;
  }

  String exitMethod() {
    return exitMethod;
  }

  boolean jdkClass() {
    return jdkClass;
  }

  /** Whether its absence from {@code feature}'s JDK means a hook is missing. */
  boolean expectedOn(int feature) {
    return feature >= sinceJdk;
  }

  /** {@code java.net.Socket.connect(Ljava/net/SocketAddress;I)V}, for log lines. */
  @Override
  public String toString() {
    return owner.replace('/', '.') + "." + name + descriptor;
  }
}
