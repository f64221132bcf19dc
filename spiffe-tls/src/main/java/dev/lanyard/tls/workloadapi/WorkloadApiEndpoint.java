package dev.lanyard.tls.workloadapi;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.nio.channels.SocketChannel;

/**
 * Where the Workload API listens: a unix domain socket ({@code unix:///path}), reached with the
 * JDK's own unix {@link SocketChannel} (Java 16+, JEP 380), or a TCP address ({@code
 * tcp://ip:port}). This code is Java 11 bytecode (the javaagent's level), so the Java 16 API is
 * found reflectively, once; on Java 11-15 a unix address fails every connect saying why.
 */
final class WorkloadApiEndpoint {
  private static final UnixSockets UNIX = UnixSockets.find();

  private final String path;
  private final String host;
  private final int port;

  private WorkloadApiEndpoint(String path, String host, int port) {
    this.path = path;
    this.host = host;
    this.port = port;
  }

  /** A {@code unix:///path} or {@code tcp://ip:port} URI that java-spiffe's {@code Address.parseAddress} accepted. */
  static WorkloadApiEndpoint of(URI address) {
    return "unix".equals(address.getScheme())
        ? new WorkloadApiEndpoint(address.getPath(), null, -1)
        : new WorkloadApiEndpoint(null, address.getHost(), address.getPort());
  }

  /** The socket path, or host:port, for messages. */
  String target() {
    return path != null ? path : host + ":" + port;
  }

  /** A connected blocking channel; a TCP connect gives up after {@code timeoutMillis}. */
  SocketChannel connect(int timeoutMillis) throws IOException {
    if (path != null) {
      return UNIX.connect(path);
    }
    SocketChannel channel = SocketChannel.open();
    try {
      channel.socket().connect(new InetSocketAddress(host, port), timeoutMillis);
      channel.socket().setTcpNoDelay(true);
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** The JDK's unix domain sockets, or why this JVM has none. */
  private static final class UnixSockets {
    private final Method open;
    private final Method address;
    private final ProtocolFamily unix;
    private final String missing;

    private UnixSockets(Method open, Method address, ProtocolFamily unix, String missing) {
      this.open = open;
      this.address = address;
      this.unix = unix;
      this.missing = missing;
    }

    static UnixSockets find() {
      try {
        ProtocolFamily unix = StandardProtocolFamily.valueOf("UNIX");
        Method open = SocketChannel.class.getMethod("open", ProtocolFamily.class);
        Method address = Class.forName("java.net.UnixDomainSocketAddress")
            .getMethod("of", String.class);
        return new UnixSockets(open, address, unix, null);
      } catch (ReflectiveOperationException | IllegalArgumentException e) {
        return new UnixSockets(null, null, null, "unix domain sockets need Java 16 or newer (this"
            + " JVM is Java " + System.getProperty("java.specification.version") + "); run the"
            + " workload on Java 16+ or give SPIFFE_ENDPOINT_SOCKET a tcp:// address");
      }
    }

    SocketChannel connect(String path) throws IOException {
      if (missing != null) {
        throw new IOException(missing);
      }
      SocketChannel channel;
      try {
        channel = (SocketChannel) open.invoke(null, unix);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      } catch (InvocationTargetException e) {
        throw rethrown(e);
      }
      try {
        channel.connect((SocketAddress) address.invoke(null, path));
        return channel;
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      } catch (IllegalAccessException e) {
        channel.close();
        throw new IllegalStateException(e);
      } catch (InvocationTargetException e) {
        channel.close();
        throw rethrown(e);
      }
    }

    private static IOException rethrown(InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        return (IOException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      return new IOException(cause);
    }
  }
}
