/**
 * Lanyard's SPIFFE Workload API client: gRPC's wire format (5-byte length prefix, {@code
 * grpc-status}/{@code grpc-message} trailers, {@code grpc-timeout}) over a small HTTP/2 client
 * ({@code Http2Session}: framing, flow control, SETTINGS, PING, GOAWAY; HPACK by Twitter's hpack)
 * on the JDK's unix {@code SocketChannel}, messages generated from the Workload API's {@code
 * .proto} as protobuf-javalite classes. No grpc-java, no Netty (docs/ARCHITECTURE.md, "The Workload
 * API client").
 */
package dev.lanyard.tls.workloadapi;
