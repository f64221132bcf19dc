package dev.lanyard.agent.upgrade.hooks;

import dev.lanyard.agent.bootstrap.SocketBridge;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bind and connect hooks of {@code LANYARD_UPGRADE_INBOUND} and {@code _OUTBOUND}, on the JDK
 * socket classes every server binds and every client connects through (docs/ARCHITECTURE.md,
 * "Plain ports upgraded to mTLS"), each calling {@link SocketBridge}. Same methods on JDK 11 to
 * 25 (read with {@code javap -p} on 17 and 25; {@code blockingConnect} since 13).
 */
public final class JdkSocketHooks {
  private static final String BRIDGE = SocketBridge.class.getName().replace('.', '/');
  private static final String ADDRESS = "Ljava/net/SocketAddress;";

  private JdkSocketHooks() {}

  /**
   * Server side: {@code ServerSocketChannelImpl.bind} (Tomcat NIO, Netty NIO, Jetty, Undertow,
   * the JDK {@code HttpServer}, also through {@code channel.socket().bind}) and {@code
   * ServerSocket.bind} (blocking servers); the address swapped on entry, the outcome reported on
   * exit; and their close, which closes Lanyard's listener in front.
   */
  public static List<MethodHook> inbound() {
    return List.of(
        bind("sun/nio/ch/ServerSocketChannelImpl", "Ljava/nio/channels/ServerSocketChannel;"),
        bind("java/net/ServerSocket", "V"),
        closed("sun/nio/ch/ServerSocketChannelImpl", "implCloseSelectableChannel"),
        closed("java/net/ServerSocket", "close"));
  }

  /**
   * Client side: {@code SocketChannelImpl.connect} (JDK {@code HttpClient}, Netty NIO), its
   * {@code blockingConnect} behind {@code channel.socket().connect}, and {@code Socket.connect}
   * ({@code HttpURLConnection}, OkHttp, Apache HttpClient); the destination swapped on entry.
   */
  public static List<MethodHook> outbound() {
    return List.of(
        connect("sun/nio/ch/SocketChannelImpl", "connect", "(" + ADDRESS + ")Z"),
        connect("sun/nio/ch/SocketChannelImpl", "blockingConnect", "(" + ADDRESS + "J)V")
            .since(13),
        connect("java/net/Socket", "connect", "(" + ADDRESS + ")V"),
        connect("java/net/Socket", "connect", "(" + ADDRESS + "I)V"));
  }

  /** The hooks for the directions that are on. */
  public static List<MethodHook> of(boolean inbound, boolean outbound) {
    List<MethodHook> hooks = new ArrayList<>();
    if (inbound) {
      hooks.addAll(inbound());
    }
    if (outbound) {
      hooks.addAll(outbound());
    }
    return List.copyOf(hooks);
  }

  /**
   * Registers a transformer for {@code hooks} and retransforms those of their classes that are
   * loaded already. java.base is given a read edge to the bridge's module first (the inserted
   * calls resolve from there).
   *
   * @throws IllegalStateException when a loaded class cannot be retransformed: its binds or
   *     connects would go in clear text, so the javaagent's start fails (startup policy)
   */
  public static HookingTransformer install(Instrumentation instrumentation,
      List<MethodHook> hooks, HookingTransformer.Report report) {
    Module bridge = SocketBridge.class.getModule();
    instrumentation.redefineModule(Object.class.getModule(), Set.of(bridge), Map.of(), Map.of(),
        Set.of(), Map.of());
    HookingTransformer transformer = new HookingTransformer(hooks,
        JdkSocketHooks.class.getClassLoader(), Runtime.version().feature(), report, module -> {
          if (!module.canRead(bridge)) {
            instrumentation.redefineModule(module, Set.of(bridge), Map.of(), Map.of(), Set.of(),
                Map.of());
          }
        });
    // Registered before the loaded classes are listed: a class loading in between is transformed
    // as it loads, and one loaded before is in the list.
    instrumentation.addTransformer(transformer, true);
    Set<String> owners = transformer.owners();
    List<Class<?>> loaded = new ArrayList<>();
    for (Class<?> type : instrumentation.getAllLoadedClasses()) {
      if (type.getClassLoader() == null && owners.contains(type.getName().replace('.', '/'))
          && instrumentation.isModifiableClass(type)) {
        loaded.add(type);
      }
    }
    if (!loaded.isEmpty()) {
      try {
        instrumentation.retransformClasses(loaded.toArray(new Class<?>[0]));
      } catch (UnmodifiableClassException | RuntimeException | LinkageError e) {
        throw new IllegalStateException("cannot hook " + loaded + " for the plaintext upgrade",
            e);
      }
    }
    return transformer;
  }

  private static MethodHook bind(String owner, String returns) {
    return MethodHook.jdk(owner, "bind", "(" + ADDRESS + "I)" + returns, BRIDGE)
        .replacingArgument0("beforeBind")
        .onExit(MethodHook.Exit.THIS_AND_THROWN, "afterBind");
  }

  private static MethodHook closed(String owner, String method) {
    return MethodHook.jdk(owner, method, "()V", BRIDGE).onExit(MethodHook.Exit.THIS, "closed");
  }

  private static MethodHook connect(String owner, String method, String descriptor) {
    return MethodHook.jdk(owner, method, descriptor, BRIDGE).replacingArgument0("beforeConnect");
  }
}
