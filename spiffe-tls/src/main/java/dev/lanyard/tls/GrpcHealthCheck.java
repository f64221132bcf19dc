package dev.lanyard.tls;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.lanyard.config.AppProbe;
import dev.lanyard.tls.workloadapi.GrpcStatus;
import dev.lanyard.tls.workloadapi.GrpcUnaryClient;
import dev.lanyard.tls.workloadapi.WorkloadApiException;
import dev.lanyard.tls.workloadapi.proto.HealthProto.HealthCheckRequest;
import dev.lanyard.tls.workloadapi.proto.HealthProto.HealthCheckResponse;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The kubelet's {@code grpc} probe, run by the health port against the application's own
 * plaintext listener: {@code grpc.health.v1.Health/Check} of the probe's service over HTTP/2 with
 * prior knowledge, on Lanyard's own gRPC client ({@link GrpcUnaryClient}). Success only when the
 * answer is {@code SERVING}, as the kubelet judges it; anything else names what the application
 * said, or why it could not be asked. Made at the first gRPC probe: a JVM without one never
 * loads it (nor the event-loop thread it starts).
 */
final class GrpcHealthCheck implements AutoCloseable {
  static final String CHECK = "/grpc.health.v1.Health/Check";
  private static final String SERVER = "the application's gRPC server";

  private final GrpcUnaryClient client =
      GrpcUnaryClient.create("kube-probe/lanyard", DaemonThreads.factory("lanyard-app-probe-grpc"));

  /** {@code where}: the port and the address, for the answer ("port 9090 (the application at ...)"). */
  AdminEndpoints.Response check(AppProbe probe, InetSocketAddress target, String where) {
    String what = "gRPC health check of service \"" + probe.service() + "\" on " + where;
    byte[] request = HealthCheckRequest.newBuilder().setService(probe.service()).build()
        .toByteArray();
    try {
      byte[] answer = client.call(target, SERVER, CHECK, request,
          Duration.ofSeconds(probe.timeoutSeconds()));
      HealthCheckResponse response = HealthCheckResponse.parseFrom(answer);
      if (response.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
        return AdminEndpoints.Response.text(200, "ok: " + what + " answered SERVING\n");
      }
      return AdminEndpoints.Response.text(503, "failed: " + what + " answered "
          + statusName(response) + " (only SERVING passes)\n");
    } catch (WorkloadApiException e) {
      return AdminEndpoints.Response.text(503, "failed: " + what + ": " + why(e.status(), probe)
          + "\n");
    } catch (InvalidProtocolBufferException e) {
      return AdminEndpoints.Response.text(503, "failed: " + what + ": the answer is not a"
          + " grpc.health.v1.HealthCheckResponse (" + e.getMessage() + ")\n");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return AdminEndpoints.Response.text(503, "failed: " + what + ": interrupted\n");
    }
  }

  private static String statusName(HealthCheckResponse response) {
    return response.getStatus() == HealthCheckResponse.ServingStatus.UNRECOGNIZED
        ? "status " + response.getStatusValue() : response.getStatus().name();
  }

  private static String why(GrpcStatus status, AppProbe probe) {
    switch (status.code()) {
      case GrpcStatus.DEADLINE_EXCEEDED:
        return "no answer within " + probe.timeoutSeconds() + "s (the probe's timeoutSeconds): "
            + status;
      case GrpcStatus.NOT_FOUND:
        return "the application's health service does not know service \"" + probe.service()
            + "\" (" + status + ")";
      case GrpcStatus.UNIMPLEMENTED:
        return "the application serves no grpc.health.v1.Health service (" + status + ")";
      default:
        return status.toString();
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
