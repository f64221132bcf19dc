package dev.lanyard.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.KubeNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Calls from the demo's Python notifier (behind its sidecar) to the LLM gateway's Service (a JVM
 * with the javaagent), one after the other for a while, each a fresh plain-HTTP request that the
 * sidecar carries over mTLS. Every call must answer 200 with both ends naming the other's SPIFFE
 * ID; the summary counts the rest as failures and describes the first few.
 */
final class MeshTraffic {
  /** What the loop saw. */
  record Summary(int calls, int failures, JsonNode firstFailures, JsonNode peers, JsonNode callers) {
    /** Asserts at least {@code minCalls} calls, none failed, each end naming the expected other. */
    void assertAllVerified(int minCalls, String serverId, String clientId) {
      assertThat(failures).as("failed calls (first ones: %s) of %d", firstFailures, calls).isZero();
      assertThat(calls).as("calls made").isGreaterThanOrEqualTo(minCalls);
      assertThat(peers).as("X-Lanyard-Peer-Id, the server each call's sidecar verified")
          .extracting(JsonNode::asText).containsExactly(serverId);
      assertThat(callers).as("the callers the gateway's javaagent verified")
          .extracting(JsonNode::asText).containsExactly(clientId);
    }
  }

  private MeshTraffic() {}

  /** Starts the loop in pod {@code python} of {@code namespace} for {@code length}. */
  static CompletableFuture<Summary> start(KubeNode node, String namespace, Duration length) {
    String script = String.join("\n",
        "import json, time, urllib.error, urllib.request",
        "body = json.dumps({'messages': [{'role': 'system', 'content': 'Task: classify.'},"
            + " {'role': 'user', 'content': 'Event: failed SSH logins'}]}).encode()",
        "deadline = time.time() + " + length.toSeconds(),
        "calls, failures, first, peers, callers = 0, 0, [], set(), set()",
        "while time.time() < deadline:",
        "    calls += 1",
        "    try:",
        "        request = urllib.request.Request('http://llm-gateway." + namespace
            + ":443/v1/chat/completions', data=body, headers={'Content-Type': 'application/json'})",
        "        answer = urllib.request.urlopen(request, timeout=20)",
        "        text = answer.read().decode()",
        "        peers.add(answer.headers.get('X-Lanyard-Peer-Id'))",
        "        callers.add(json.loads(text)['lanyard_demo']['caller'])",
        "    except Exception as failed:",
        "        failures += 1",
        "        if len(first) < 5:",
        "            detail = failed.read().decode()[:300] if hasattr(failed, 'read') else ''",
        "            first.append('%.1f s: %r %s' % (time.time() - deadline + " + length.toSeconds()
            + ", failed, detail))",
        "    time.sleep(0.2)",
        "print(json.dumps({'calls': calls, 'failures': failures, 'first': first,"
            + " 'peers': sorted(p or '' for p in peers), 'callers': sorted(callers)}))");
    return CompletableFuture.supplyAsync(() -> {
      Command.Result run = node.kubectl(length.plusSeconds(60), "-n", namespace, "exec", "python",
          "-c", "notifier", "--", "python3", "-c", script);
      String last = run.output().lines().reduce((a, b) -> b).orElse("");
      if (!run.ok() || !last.startsWith("{")) {
        throw new IllegalStateException("the traffic loop did not finish: " + run.output());
      }
      JsonNode summary = ChartOnNode.json(last);
      return new Summary(summary.path("calls").asInt(), summary.path("failures").asInt(),
          summary.path("first"), summary.path("peers"), summary.path("callers"));
    });
  }
}
