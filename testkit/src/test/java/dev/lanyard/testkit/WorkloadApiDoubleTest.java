package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.MetadataUtils;
import io.spiffe.workloadapi.grpc.SpiffeWorkloadAPIGrpc;
import io.spiffe.workloadapi.grpc.Workload;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadApiDoubleTest {

  @Test
  void refusesCallsWithoutTheSecurityHeaderAsSpireDoes(@TempDir Path dir) throws Exception {
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("api.sock"))) {
      api.send(WorkloadApiDouble.emptyResponse());
      EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
      ManagedChannel channel = NettyChannelBuilder
          .forAddress(new DomainSocketAddress(dir.resolve("api.sock").toString()))
          .eventLoopGroup(loop).channelType(EpollDomainSocketChannel.class).usePlaintext().build();
      try {
        SpiffeWorkloadAPIGrpc.SpiffeWorkloadAPIBlockingStub stub =
            SpiffeWorkloadAPIGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);

        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
            () -> stub.fetchX509SVID(Workload.X509SVIDRequest.getDefaultInstance()).hasNext());
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(refused.getStatus().getDescription()).isEqualTo("security header missing from request");
        assertThat(api.refusedWithoutHeader()).isEqualTo(1);
        assertThat(api.streamsOpened()).isZero();

        Metadata header = new Metadata();
        header.put(Metadata.Key.of("workload.spiffe.io", Metadata.ASCII_STRING_MARSHALLER), "true");
        Iterator<Workload.X509SVIDResponse> stream = stub
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(header))
            .fetchX509SVID(Workload.X509SVIDRequest.getDefaultInstance());
        assertThat(stream.next()).isEqualTo(WorkloadApiDouble.emptyResponse());
        assertThat(api.streamsOpened()).isEqualTo(1);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
    }
  }
}
