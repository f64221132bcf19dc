package dev.lanyard.agent;

import static net.bytebuddy.matcher.ElementMatchers.any;
import static net.bytebuddy.matcher.ElementMatchers.is;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import dev.lanyard.agent.instrumentation.ApacheHttpClientJwtInstrumentation;
import dev.lanyard.agent.instrumentation.HostnameVerifierInstrumentation;
import dev.lanyard.agent.instrumentation.HttpUrlConnectionJwtInstrumentation;
import dev.lanyard.agent.instrumentation.JdkHttpClientJwtInstrumentation;
import dev.lanyard.agent.instrumentation.OkHttpJwtInstrumentation;
import dev.lanyard.agent.instrumentation.PeerAlertInstrumentation;
import dev.lanyard.agent.instrumentation.Instrumentation;
import dev.lanyard.agent.instrumentation.JettySniHostCheckInstrumentation;
import dev.lanyard.agent.instrumentation.NettySslContextBuilderInstrumentation;
import dev.lanyard.agent.instrumentation.OkHttpChainCleanerInstrumentation;
import dev.lanyard.agent.instrumentation.UnhookedClientConnectInstrumentation;
import dev.lanyard.agent.instrumentation.UnhookedServerBindInstrumentation;
import dev.lanyard.agent.instrumentation.ServerClientAuthInstrumentation;
import dev.lanyard.agent.instrumentation.SslContextInitInstrumentation;
import dev.lanyard.tls.LanyardConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.agent.builder.ResettableClassFileTransformer;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

/**
 * Applies every {@link Instrumentation} with ByteBuddy: retransforming classes that are already
 * loaded, inlining advice (no class format changes), reaching into bootstrap classes (ByteBuddy
 * ignores them by default), and giving each instrumented module a read edge to the bridge.
 * Records which types were actually hooked, for {@code /identity}.
 */
public final class InstrumentationInstaller {
  /** The hooks Lanyard installs, in order. */
  public static List<Instrumentation> all() {
    return List.of(
        new SslContextInitInstrumentation(),
        new ServerClientAuthInstrumentation(),
        new HostnameVerifierInstrumentation(),
        new NettySslContextBuilderInstrumentation(),
        new JettySniHostCheckInstrumentation(),
        new OkHttpChainCleanerInstrumentation(),
        new PeerAlertInstrumentation());
  }

  /**
   * The hooks for {@code config}: the TLS hooks always, the HTTP clients' JWT-SVID hooks only
   * when {@code LANYARD_JWT_AUDIENCES} is set (no JWT, no HTTP client is touched).
   */
  public static List<Instrumentation> all(LanyardConfig config) {
    if (config.jwtAudiences().isEmpty() && !config.inboundUpgrade().enabled()
        && !config.outboundUpgrade().enabled()) {
      return all();
    }
    List<Instrumentation> hooks = new ArrayList<>(all());
    if (!config.jwtAudiences().isEmpty()) {
      hooks.addAll(jwt());
    }
    // The binds and connects the JDK socket hooks cannot redirect (those hooks are not
    // ByteBuddy's: premain installs them, upgrade.hooks.JdkSocketHooks), only when
    // LANYARD_UPGRADE_INBOUND upgrades some port, and LANYARD_UPGRADE_OUTBOUND some destination.
    if (config.inboundUpgrade().enabled()) {
      hooks.add(new UnhookedServerBindInstrumentation());
    }
    if (config.outboundUpgrade().enabled()) {
      hooks.add(new UnhookedClientConnectInstrumentation());
    }
    return List.copyOf(hooks);
  }

  /** The HTTP clients' JWT-SVID hooks. */
  public static List<Instrumentation> jwt() {
    return List.of(
        new JdkHttpClientJwtInstrumentation(),
        new HttpUrlConnectionJwtInstrumentation(),
        new OkHttpJwtInstrumentation(),
        new ApacheHttpClientJwtInstrumentation());
  }

  private final Set<String> hooked = ConcurrentHashMap.newKeySet();
  private final Consumer<String> errorLog;
  private final Consumer<String> debugLog;
  private final BiConsumer<String, String> uncovered;

  public InstrumentationInstaller(Consumer<String> errorLog, Consumer<String> debugLog) {
    this(errorLog, debugLog, (what, why) -> { });
  }

  /** {@code uncovered} hears of each type that could not be hooked, and why. */
  public InstrumentationInstaller(Consumer<String> errorLog, Consumer<String> debugLog,
      BiConsumer<String, String> uncovered) {
    this.errorLog = errorLog;
    this.debugLog = debugLog;
    this.uncovered = uncovered;
  }

  /**
   * Builds the transformer without registering it or touching loaded classes (premain registers
   * a {@link DeferredTransformer} that delegates to it).
   */
  public java.lang.instrument.ClassFileTransformer build(
      java.lang.instrument.Instrumentation instrumentation, List<Instrumentation> hooks) {
    return agentBuilder(instrumentation, hooks).makeRaw();
  }

  /** Installs on {@code instrumentation} and retransforms loaded classes (late attach, tests). */
  public ResettableClassFileTransformer install(
      java.lang.instrument.Instrumentation instrumentation, List<Instrumentation> hooks) {
    return agentBuilder(instrumentation, hooks).installOn(instrumentation);
  }

  /** The internal names (a/b/C) of every type the hooks match. */
  public static Set<String> hookedInternalNames(List<Instrumentation> hooks) {
    Set<String> names = new java.util.HashSet<>();
    for (Instrumentation hook : hooks) {
      for (String name : hook.typeNames()) {
        names.add(name.replace('.', '/'));
      }
    }
    return names;
  }

  private AgentBuilder agentBuilder(java.lang.instrument.Instrumentation instrumentation,
      List<Instrumentation> hooks) {
    ClassLoader agentLoader = InstrumentationInstaller.class.getClassLoader();
    AgentBuilder builder = new AgentBuilder.Default()
        .disableClassFormatChanges()
        .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
        .with(AgentBuilder.TypeStrategy.Default.DECORATE)
        .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
        .with(new Listener())
        // Unlike ByteBuddy's default, do NOT ignore the bootstrap loader: SunJSSE lives there.
        .ignore(nameStartsWith("net.bytebuddy.").or(nameStartsWith("dev.lanyard.agent."))
            .or(isSynthetic()))
        // Lanyard's own copies (e.g. gRPC's shaded Netty for the Workload API) are never hooked.
        .or(any(), is(agentLoader))
        // Advice inlined into java.base and library modules calls the bridge in the boot loader's
        // unnamed module: every instrumented module must read it.
        .assureReadEdgeTo(instrumentation, LanyardBridge.class);
    for (Instrumentation hook : hooks) {
      builder = builder.type(hook.types())
          .transform(hook.transformer())
          .asTerminalTransformation();
    }
    return builder;
  }

  /** {@code type} (a.b.C) was instrumented by a transformer of Lanyard's other than ByteBuddy's. */
  public void hooked(String type) {
    hooked.add(type);
  }

  /** Fully qualified names of the classes that were instrumented so far. */
  public Set<String> hookedTypes() {
    return Set.copyOf(hooked);
  }

  private final class Listener extends AgentBuilder.Listener.Adapter {
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    @Override
    public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module,
        boolean loaded, DynamicType dynamicType) {
      hooked.add(type.getName());
      debugLog.accept("instrumented " + type.getName() + (loaded ? " (retransformed)" : ""));
    }

    @Override
    public void onError(String typeName, ClassLoader loader, JavaModule module, boolean loaded,
        Throwable throwable) {
      if (reported.add(typeName)) {
        errorLog.accept("could not instrument " + typeName + ", TLS through it is not covered: "
            + throwable);
        uncovered.accept(typeName, "could not instrument it: " + throwable);
      }
    }
  }
}
