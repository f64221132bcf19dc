package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.SocketBridge;
import java.net.SocketAddress;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * Puts Lanyard's mTLS listener in front of plain server ports ({@code LANYARD_UPGRADE_INBOUND}):
 * the one place every JDK-based server binds, {@code ServerSocketChannel.bind} (Tomcat NIO,
 * Netty NIO, Jetty, Undertow/XNIO and the JDK {@code HttpServer} all end there, also through
 * {@code channel.socket().bind}), and {@code ServerSocket.bind} for classic blocking servers.
 * For an upgraded port the application binds a loopback ephemeral port instead; Lanyard binds
 * the real one. Closing the application's socket closes Lanyard's listener.
 */
public final class ServerBindInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "server-bind";
  }

  @Override
  public boolean hooksSockets() {
    return true;
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("sun.nio.ch.ServerSocketChannelImpl", "java.net.ServerSocket");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("bind").and(takesArguments(2)).and(takesArgument(0, SocketAddress.class))
                .and(takesArgument(1, int.class)),
            ServerBindInstrumentation.class.getName() + "$BindAdvice")
        // ServerSocketChannelImpl closes through implCloseSelectableChannel; ServerSocket.close.
        .advice(named("implCloseSelectableChannel").and(takesArguments(0))
                .or(named("close").and(takesArguments(0))),
            ServerBindInstrumentation.class.getName() + "$CloseAdvice");
  }

  /** Swaps an upgraded port for a loopback ephemeral one, and reports how the bind ended. */
  public static final class BindAdvice {
    private BindAdvice() {}

    @Advice.OnMethodEnter
    public static void enter(@Advice.This Object server,
        @Advice.Argument(value = 0, readOnly = false, typing = Assigner.Typing.DYNAMIC)
            SocketAddress local) throws java.io.IOException {
      local = SocketBridge.beforeBind(server, local);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void exit(@Advice.This Object server, @Advice.Thrown Throwable failure) {
      SocketBridge.afterBind(server, failure);
    }
  }

  /** The application closed its server socket: Lanyard's listener in front of it closes. */
  public static final class CloseAdvice {
    private CloseAdvice() {}

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void exit(@Advice.This Object server) {
      SocketBridge.closed(server);
    }
  }
}
