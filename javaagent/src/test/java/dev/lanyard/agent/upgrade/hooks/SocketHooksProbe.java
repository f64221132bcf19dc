package dev.lanyard.agent.upgrade.hooks;

import dev.lanyard.agent.bootstrap.SocketBridge;
import dev.lanyard.agent.bootstrap.SocketHooks;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Run by {@link JdkSocketHooksTest} as the {@code -javaagent} and main of a child JVM whose
 * bootstrap loader holds the bridge (as the javaagent's {@code BootstrapInjector} arranges) and
 * which verifies bootstrap classes: it installs {@link JdkSocketHooks} on the real JDK socket
 * classes, records every bridge call, exercises each hooked method and prints what it saw.
 */
public final class SocketHooksProbe {
  /**
   * A destination the hooks send to the probe's own loopback server instead: resolved, as an
   * application's is (JDK 25's socket adaptor refuses an unresolved one before the hooked method).
   */
  static final InetSocketAddress MESH = resolved("mesh.test", 1, 80);
  /** A destination whose connect the hooks refuse. */
  static final InetSocketAddress REFUSED = resolved("refused.test", 2, 81);
  /** A bind the hooks move to a loopback ephemeral port. */
  static final InetSocketAddress UPGRADED = new InetSocketAddress("0.0.0.0", 1);

  private static volatile SocketAddress target;

  private SocketHooksProbe() {}

  public static void premain(String args, Instrumentation instrumentation) throws Exception {
    // Loaded before the hooks: they must reach it by retransformation.
    Class.forName("java.net.ServerSocket");
    System.out.println("loaded before install: java.net.ServerSocket");
    SocketBridge.install(new Recording());
    JdkSocketHooks.install(instrumentation, JdkSocketHooks.of(true, true),
        new HookingTransformer.Report() {
          @Override
          public void hooked(String type) {
            System.out.println("hooked " + type);
          }

          @Override
          public void notFound(MethodHook hook) {
            System.out.println("NOT FOUND " + hook);
          }

          @Override
          public void failed(String type, Throwable failure) {
            System.out.println("FAILED " + type + " " + failure);
          }
        });
  }

  public static void main(String[] args) throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(UPGRADED, 50);
      System.out.println("channel bound " + server.getLocalAddress());
      target = server.getLocalAddress();
      try (SocketChannel client = SocketChannel.open()) {
        System.out.println("channel connect returned " + client.connect(MESH) + " to "
            + client.getRemoteAddress());
      }
      try (SocketChannel client = SocketChannel.open()) {
        client.socket().connect(MESH, 5000);
        System.out.println("adaptor connected to " + client.getRemoteAddress());
      }
      try (Socket client = new Socket()) {
        client.connect(MESH);
        System.out.println("socket connected to " + client.getRemoteSocketAddress());
      }
      try (Socket client = new Socket()) {
        client.connect(REFUSED, 5000);
        System.out.println("socket connected to the refused destination");
      } catch (IOException e) {
        System.out.println("socket connect threw " + e);
      }
      try (ServerSocket taken = new ServerSocket()) {
        // The port the channel holds: the JDK's own BindException, then afterBind with it.
        taken.bind(target, 50);
        System.out.println("server socket bound a taken port");
      } catch (IOException e) {
        System.out.println("server socket bind threw " + e.getClass().getName());
      }
      try (ServerSocket blocking = new ServerSocket()) {
        blocking.bind(UPGRADED, 50);
        System.out.println("server socket bound " + blocking.getLocalSocketAddress());
      }
    }
    System.out.println("done");
  }

  private static InetSocketAddress resolved(String host, int last, int port) {
    try {
      byte[] address = {10, (byte) 255, (byte) 255, (byte) last};
      return new InetSocketAddress(InetAddress.getByAddress(host, address), port);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Records each call; moves {@link #UPGRADED} binds and {@link #MESH} connects. */
  static final class Recording implements SocketHooks {
    @Override
    public SocketAddress beforeBind(Object server, SocketAddress requested) {
      System.out.println("call beforeBind " + server.getClass().getName() + " " + requested);
      return requested.equals(UPGRADED)
          ? new InetSocketAddress(InetAddress.getLoopbackAddress(), 0) : requested;
    }

    @Override
    public void afterBind(Object server, Throwable failure) {
      System.out.println("call afterBind " + server.getClass().getName() + " "
          + (failure == null ? "ok" : failure.getClass().getName()));
    }

    @Override
    public void closed(Object server) {
      System.out.println("call closed " + server.getClass().getName());
    }

    @Override
    public SocketAddress beforeConnect(Object socket, SocketAddress remote) throws IOException {
      System.out.println("call beforeConnect " + socket.getClass().getName() + " " + remote);
      if (remote.equals(REFUSED)) {
        throw new IOException("lanyard test: refused " + remote);
      }
      return remote.equals(MESH) ? target : remote;
    }
  }
}
