/**
 * Lanyard's SPIFFE Workload API client: gRPC's wire format (5-byte length prefix, {@code
 * grpc-status}/{@code grpc-message} trailers, {@code grpc-timeout}) over Netty's HTTP/2 codec on an
 * epoll unix socket, messages generated from the Workload API's {@code .proto} as protobuf-javalite
 * classes. No grpc-java, no second Netty (docs/ARCHITECTURE.md, "The Workload API client").
 */
package dev.lanyard.tls.workloadapi;
