package dev.lanyard.demo.workloads;

/** The classifier workload: severity and category of a security event. */
public final class Classifier {
  private Classifier() {}

  public static void main(String[] args) throws Exception {
    AnalysisWorkload.serve("classifier", "classify",
        "Classify the security event. Answer only with JSON: {\"severity\":"
            + " \"low|medium|high|critical\", \"category\": \"<short-kebab-case-name>\"}.");
  }
}
