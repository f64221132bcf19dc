package dev.lanyard.compat;

import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.net.InetSocketAddress;
import java.util.logging.Level;

/**
 * Undertow (XNIO over NIO channels), plain HTTP only: the plaintext-upgrade matrix's Undertow
 * server (WildFly's and Quarkus's classic core). TLS modes are refused with a usage error: the
 * TLS matrix covers the other servers.
 */
public final class UndertowServerApp {
  private UndertowServerApp() {}

  public static void main(String[] args) throws Exception {
    ServerMain.run("UndertowServerApp", args, UndertowServerApp::start);
  }

  private static int start(ServerMain.Settings settings) {
    if (settings.tls().mode().isTls()) {
      throw new AppArgs.UsageException("UndertowServerApp serves plain HTTP only: use --tls plain");
    }
    OneLineLogging.level("org.xnio", Level.WARNING);
    OneLineLogging.level("io.undertow", Level.WARNING);
    Undertow server = Undertow.builder()
        .addHttpListener(settings.port(), settings.bind())
        .setHandler(UndertowServerApp::respond)
        .build();
    server.start();
    return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  private static void respond(HttpServerExchange exchange) {
    if (exchange.isInIoThread()) {
      exchange.dispatch(UndertowServerApp::respond);
      return;
    }
    exchange.startBlocking();
    try {
      exchange.getInputStream().readAllBytes();
    } catch (java.io.IOException e) {
      ServerMain.error("UndertowServerApp", "request failed", e);
    }
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
    exchange.getResponseSender().send(Peers.body(Peers.NONE));
  }
}
