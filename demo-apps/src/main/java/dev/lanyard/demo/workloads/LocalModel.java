package dev.lanyard.demo.workloads;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The LLM gateway's built-in model: deterministic keyword rules, so the demo runs offline and
 * always gives the same answer. It answers the three tasks the analysis workloads ask for
 * ({@code classify}, {@code score}, {@code recommend}) with the JSON a real model is asked to give.
 */
public final class LocalModel {
  public static final String NAME = "lanyard-local-rules-1";

  private static final Pattern TASK = Pattern.compile("Task: (\\w+)");
  private static final Pattern IPV4 = Pattern.compile("\\b(\\d{1,3}(?:\\.\\d{1,3}){3})\\b");
  private static final Pattern REPEATED =
      Pattern.compile("\\b(multiple|repeated|many|several|\\d{2,})\\b");

  private LocalModel() {}

  /** The task named by a system prompt ({@code "Task: classify. ..."}), or empty. */
  public static String taskOf(String systemPrompt) {
    Matcher matcher = TASK.matcher(systemPrompt == null ? "" : systemPrompt);
    return matcher.find() ? matcher.group(1) : "";
  }

  /** The answer to {@code task} about the event {@code text}, as a JSON object. */
  public static Map<String, Object> answer(String task, String text) {
    Classification found = classify(text);
    switch (task) {
      case "classify":
        return Json.object("severity", found.severity, "category", found.category);
      case "score":
        return score(text, found);
      case "recommend":
        return recommend(text, found);
      default:
        throw new JsonServer.BadRequest("the local model knows the tasks classify, score and"
            + " recommend (named as 'Task: <task>' in the system message), not '" + task + "'");
    }
  }

  private record Classification(String category, String severity) {}

  private static Classification classify(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    boolean repeated = REPEATED.matcher(lower).find();
    if (containsAny(lower, "ransomware", "encrypted files")) {
      return new Classification("malware", "critical");
    }
    if (containsAny(lower, "malware", "trojan", "virus", "beacon")) {
      return new Classification("malware", "high");
    }
    if (containsAny(lower, "exfiltrat", "large upload", "data transfer")) {
      return new Classification("data-exfiltration", "high");
    }
    if (containsAny(lower, "phish")) {
      return new Classification("phishing", "medium");
    }
    if (containsAny(lower, "ssh", "login", "password", "brute", "credential")) {
      return new Classification("credential-attack", repeated ? "high" : "medium");
    }
    if (containsAny(lower, "port scan", "scan", "probe")) {
      return new Classification("reconnaissance", "low");
    }
    return new Classification("unknown", "low");
  }

  private static Map<String, Object> score(String text, Classification found) {
    double confidence = 0.5;
    List<String> signals = new ArrayList<>();
    if (!found.category.equals("unknown")) {
      confidence += 0.2;
      signals.add("known pattern " + found.category);
    }
    ip(text).ifPresent(ip -> signals.add("source address " + ip));
    if (ip(text).isPresent()) {
      confidence += 0.15;
    }
    if (REPEATED.matcher(text.toLowerCase(Locale.ROOT)).find()) {
      confidence += 0.1;
      signals.add("repeated events");
    }
    confidence = Math.min(0.95, Math.round(confidence * 100) / 100.0);
    return Json.object("confidence", confidence,
        "rationale", signals.isEmpty() ? "no specific signal" : String.join(", ", signals));
  }

  private static Map<String, Object> recommend(String text, Classification found) {
    String source = ip(text).orElse("the source");
    List<String> actions = switch (found.category) {
      case "credential-attack" -> List.of(
          "block " + source + " at the perimeter firewall",
          "require key-based SSH authentication and disable password logins",
          "check the auth logs for a successful login from " + source);
      case "malware" -> List.of("isolate the affected host", "collect a memory image",
          "block the command-and-control address " + source);
      case "data-exfiltration" -> List.of("cut the outbound connection to " + source,
          "revoke the credentials used", "list the data that left");
      case "phishing" -> List.of("pull the message from every mailbox",
          "reset the passwords of users who clicked");
      case "reconnaissance" -> List.of("rate-limit " + source, "watch for follow-up attempts");
      default -> List.of("collect more context before acting");
    };
    return Json.object("valid", !found.category.equals("unknown"), "actions", actions);
  }

  private static java.util.Optional<String> ip(String text) {
    Matcher matcher = IPV4.matcher(text);
    return matcher.find() ? java.util.Optional.of(matcher.group(1)) : java.util.Optional.empty();
  }

  private static boolean containsAny(String text, String... words) {
    for (String word : words) {
      if (text.contains(word)) {
        return true;
      }
    }
    return false;
  }
}
