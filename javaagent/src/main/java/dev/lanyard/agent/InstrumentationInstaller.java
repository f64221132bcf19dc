package dev.lanyard.agent;

import static net.bytebuddy.matcher.ElementMatchers.any;
import static net.bytebuddy.matcher.ElementMatchers.is;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import dev.lanyard.agent.instrumentation.ApacheHttpClientJwtInstrumentation;
import dev.lanyard.agent.instrumentation.ClientConnectInstrumentation;
import dev.lanyard.agent.instrumentation.HostnameVerifierInstrumentation;
import dev.lanyard.agent.instrumentation.HttpUrlConnectionJwtInstrumentation;
import dev.lanyard.agent.instrumentation.JdkHttpClientJwtInstrumentation;
import dev.lanyard.agent.instrumentation.OkHttpJwtInstrumentation;
import dev.lanyard.agent.instrumentation.PeerAlertInstrumentation;
import dev.lanyard.agent.instrumentation.Instrumentation;
import dev.lanyard.agent.instrumentation.JettySniHostCheckInstrumentation;
import dev.lanyard.agent.instrumentation.NativeTransportInstrumentation;
import dev.lanyard.agent.instrumentation.NettySslContextBuilderInstrumentation;
import dev.lanyard.agent.instrumentation.OkHttpChainCleanerInstrumentation;
import dev.lanyard.agent.instrumentation.ServerBindInstrumentation;
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
    // Server sockets are touched only when LANYARD_UPGRADE_INBOUND upgrades some port.
    if (config.inboundUpgrade().enabled()) {
      hooks.add(new ServerBindInstrumentation());
      hooks.add(new UnhookedServerBindInstrumentation());
    }
    // Frameworks that would pick Netty's native transports (which no socket hook reaches) are
    // steered to NIO, whose sockets the hooks upgrade.
    hooks.add(new NativeTransportInstrumentation());
    // Client sockets only when LANYARD_UPGRADE_OUTBOUND upgrades some destination port.
    if (config.outboundUpgrade().enabled()) {
      hooks.add(new ClientConnectInstrumentation());
      hooks.add(new UnhookedClientConnectInstrumentation());
    }
    return List.copyOf(hooks);
  }

  /**
   * Whether {@code hook} is a bind or connect hook of the plaintext upgrade: these go in before
   * main on their own, the TLS hooks later (see {@code AgentInstaller}).
   */
  public static boolean isSocketHook(Instrumentation hook) {
    return hook.hooksSockets();
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

  /**
   * As {@link #install}, but retransforms only the loaded classes the hooks name instead of
   * matching every loaded class (premain installs the socket hooks this way: it runs before main).
   */
  public ResettableClassFileTransformer installNamed(
      java.lang.instrument.Instrumentation instrumentation, List<Instrumentation> hooks) {
    Set<String> names = new java.util.HashSet<>();
    for (Instrumentation hook : hooks) {
      names.addAll(hook.typeNames());
    }
    List<Class<?>> loaded = new ArrayList<>();
    for (Class<?> type : instrumentation.getAllLoadedClasses()) {
      if (names.contains(type.getName()) && instrumentation.isModifiableClass(type)) {
        loaded.add(type);
      }
    }
    ResettableClassFileTransformer installed =
        agentBuilder(instrumentation, hooks, loaded.toArray(Class<?>[]::new))
            .installOn(instrumentation);
    // A named class loaded while ByteBuddy was installing (its own start touches sockets; on
    // JDK 25 NioSocketImpl loads there) was neither in the list above nor seen by the transformer,
    // which was not registered yet: retransform it now, or its connects would go in clear text.
    List<Class<?>> late = new ArrayList<>();
    for (Class<?> type : instrumentation.getAllLoadedClasses()) {
      if (names.contains(type.getName()) && instrumentation.isModifiableClass(type)
          && !loaded.contains(type)) {
        late.add(type);
      }
    }
    if (!late.isEmpty()) {
      try {
        instrumentation.retransformClasses(late.toArray(Class<?>[]::new));
      } catch (java.lang.instrument.UnmodifiableClassException e) {
        throw new IllegalStateException("cannot hook " + late + " for the plaintext upgrade", e);
      }
    }
    return installed;
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

  private AgentBuilder agentBuilder(
      java.lang.instrument.Instrumentation instrumentation, List<Instrumentation> hooks) {
    return agentBuilder(instrumentation, hooks, null);
  }

  /** {@code only}: the loaded classes to retransform; null: every loaded class that matches. */
  private AgentBuilder agentBuilder(java.lang.instrument.Instrumentation instrumentation,
      List<Instrumentation> hooks, Class<?>[] only) {
    ClassLoader agentLoader = InstrumentationInstaller.class.getClassLoader();
    AgentBuilder.RedefinitionListenable.WithoutBatchStrategy retransforming =
        new AgentBuilder.Default()
            .disableClassFormatChanges()
            .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION);
    AgentBuilder builder = (only == null ? retransforming : retransforming.redefineOnly(only))
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
