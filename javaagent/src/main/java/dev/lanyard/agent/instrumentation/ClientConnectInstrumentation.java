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
 * Sends plain connections to upgraded mesh destinations ({@code LANYARD_UPGRADE_OUTBOUND})
 * through Lanyard's in-JVM originator: every JDK client connects in one of these places, {@code
 * SocketChannel.connect} (JDK {@code HttpClient}, Netty NIO, Reactor Netty, gRPC-Java's Netty),
 * the channel's blocking connect behind {@code channel.socket().connect} (JDK 13+), and {@code
 * Socket.connect} ({@code HttpURLConnection}, OkHttp, Apache HttpClient 4 and 5). The destination
 * is swapped for the originator's loopback address before the JDK connects.
 */
public final class ClientConnectInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "client-connect";
  }

  @Override
  public boolean hooksSockets() {
    return true;
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("sun.nio.ch.SocketChannelImpl", "java.net.Socket");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("connect").and(takesArgument(0, SocketAddress.class))
                .and(takesArguments(1).or(takesArguments(2).and(takesArgument(1, int.class))))
                .or(named("blockingConnect").and(takesArguments(2))
                    .and(takesArgument(0, SocketAddress.class))),
            ClientConnectInstrumentation.class.getName() + "$ConnectAdvice");
  }

  /** Swaps an upgraded destination for Lanyard's originator. */
  public static final class ConnectAdvice {
    private ConnectAdvice() {}

    @Advice.OnMethodEnter
    public static void enter(@Advice.This Object socket,
        @Advice.Argument(value = 0, readOnly = false, typing = Assigner.Typing.DYNAMIC)
            SocketAddress remote) throws java.io.IOException {
      remote = SocketBridge.beforeConnect(socket, remote);
    }
  }
}
