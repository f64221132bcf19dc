package dev.lanyard.tls.workloadapi;

import java.util.ArrayList;
import java.util.List;

/**
 * The gRPC server at the other end of an {@link Http2Connection}: how statuses and protocol errors
 * name it, and the {@code :authority} and headers its calls carry besides gRPC's own. The Workload
 * API needs {@code workload.spiffe.io: true} (the SPIRE Agent refuses calls without it); an
 * application's health service gets only a user agent.
 */
final class GrpcPeer {
  private final String name;
  private final String target;
  private final String authority;
  /** Name, value, ... in the order they are sent. */
  private final List<String> callHeaders;

  private GrpcPeer(String name, String target, String authority, List<String> callHeaders) {
    this.name = name;
    this.target = target;
    this.authority = authority;
    this.callHeaders = callHeaders;
  }

  /** The Workload API at {@code target} (a socket path, or host:port). */
  static GrpcPeer workloadApi(String target) {
    return new GrpcPeer("the Workload API", target, "localhost",
        List.of("user-agent", "lanyard-workload-api", "workload.spiffe.io", "true"));
  }

  /** {@code server} (e.g. "the application's gRPC server") at {@code hostPort}. */
  static GrpcPeer server(String server, String hostPort, String userAgent) {
    return new GrpcPeer(server, hostPort, hostPort, List.of("user-agent", userAgent));
  }

  /** "the Workload API": who sent what a protocol error names. */
  String name() {
    return name;
  }

  /** "the Workload API at /run/spire/agent.sock": who a status about the connection names. */
  String at() {
    return name + " at " + target;
  }

  /** A call's request headers, pseudo-headers first, as HPACK name-value pairs. */
  List<String> requestHeaders(String path) {
    List<String> headers = new ArrayList<>(List.of(":method", "POST", ":scheme", "http",
        ":path", path, ":authority", authority, "content-type", "application/grpc",
        "te", "trailers"));
    headers.addAll(callHeaders);
    return headers;
  }
}
