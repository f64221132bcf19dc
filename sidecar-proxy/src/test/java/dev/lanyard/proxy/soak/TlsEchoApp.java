package dev.lanyard.proxy.soak;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An ordinary TLS program with no Lanyard code, for the javaagent's side of the rotation soak:
 * {@code server} echoes every connection over the JVM's default {@code SSLContext};
 * {@code client <port> <stop-file>} keeps one connection to it open, streaming until the stop
 * file exists, and prints the digests of what it sent and what came back. The javaagent supplies the identities.
 */
public final class TlsEchoApp {
  private TlsEchoApp() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("server")) {
      serve();
    } else if (args.length == 3 && args[0].equals("client")) {
      stream(Integer.parseInt(args[1]), Path.of(args[2]));
    } else {
      System.err.println("usage: TlsEchoApp server | client <port> <stop-file>");
      System.exit(2);
    }
  }

  private static void serve() throws Exception {
    ServerSocket server = SSLContext.getDefault().getServerSocketFactory()
        .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    System.out.println("LISTENING port=" + server.getLocalPort());
    while (true) {
      Socket connection = server.accept();
      EchoStream.echo(connection);
    }
  }

  private static void stream(int port, Path stopFile) throws Exception {
    SSLSocket socket = (SSLSocket) SSLContext.getDefault().getSocketFactory()
        .createSocket("localhost", port);
    socket.startHandshake();
    X509Certificate server = (X509Certificate) socket.getSession().getPeerCertificates()[0];
    System.out.println("STREAM CONNECTED protocol=" + socket.getSession().getProtocol()
        + " server_serial=" + server.getSerialNumber().toString(16));
    try (EchoStream stream = new EchoStream(socket)) {
      Thread progress = new Thread(() -> {
        try {
          while (true) {
            Thread.sleep(5_000);
            System.out.println("STREAM sent=" + stream.sentBytes() + " received="
                + stream.receivedBytes());
          }
        } catch (InterruptedException e) {
          // done
        }
      }, "progress");
      progress.setDaemon(true);
      progress.start();
      stream.pump(() -> Files.exists(stopFile), 16 * 1024, 50, port);
      System.out.println(stream.finish(30_000).line());
      progress.interrupt();
    }
  }
}
