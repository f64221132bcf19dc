package dev.lanyard.demo.workloads;

/** The validator workload: checks the classification and recommends actions. */
public final class Validator {
  private Validator() {}

  public static void main(String[] args) throws Exception {
    AnalysisWorkload.serve("validator", "recommend",
        "Check that the classification in the context fits the event and recommend actions."
            + " Answer only with JSON: {\"valid\": true|false, \"actions\": [\"<action>\", ...]}.");
  }
}
