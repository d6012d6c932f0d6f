#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "engine/extract_job.h"
#include "model/model_spec.h"
#include "sink/table.h"

namespace verger::cli {

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

// Options shared by every command that extracts (extract, run).
void AddExtractOptions(CLI::App* cmd, ExtractOptions& o, std::string& progress) {
  cmd->add_option("-i,--input", o.input, "Folder (or s3://bucket/prefix) of images; searched recursively for "
                                         ".jpg/.jpeg/.png, label = parent folder name")
      ->required();
  cmd->add_option("-o,--output", o.output, "Folder (or s3://bucket/prefix) to write features/, manifest.json "
                                           "and errors.csv into; must be empty unless --overwrite")
      ->required();
  cmd->add_option("-m,--model", o.model, "Built-in model (" + Join(BuiltinModelNames()) +
                                             ") or path to a JSON model spec (see docs/models.md)")
      ->capture_default_str();
  cmd->add_option("--weights", o.weights, "Weights file replacing the spec's (e.g. --model vgg16 --weights vgg16.onnx)");
  cmd->add_option("--backend", o.backend,
                  "Inference backend replacing the spec's (default auto, for built-ins too):\n"
                  "auto = torch if LibTorch can run the weights (TorchScript, Keras VGG16 .h5/.onnx converted once\n"
                  "and cached; ONNX it imports), else opencv for ONNX, with the reason in the summary and\n"
                  "manifest.json (backend_reason); opencv = OpenCV DNN (any ONNX it reads, CPU fp32);\n"
                  "torch = LibTorch only, exit 2 naming what it cannot run. See docs/benchmarks.md")
      ->check(CLI::IsMember({"auto", "opencv", "torch"}));
  cmd->add_option("--device", o.device, "Device for backend torch: cpu (default) or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--precision", o.precision, "Precision for backend torch: fp32 (default), bf16, or int8 (needs a quantized model: docs/benchmarks.md)")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}));
  cmd->add_option("-b,--batch", o.batch,
                  "Images per forward pass (default: the backend's, 32 for torch, 1 for opencv;\n"
                  "manifest.json records the batch used)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("-t,--threads", o.threads, "Threads for decoding and inference (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--io-concurrency", o.io_concurrency,
                  "Reads in flight at once (0 = 2 for local folders, 32 for S3)")
      ->capture_default_str();
  cmd->add_option("--partition-size", o.partition_size,
                  "Images per partition, the unit of work and of atomic output")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("-f,--format", o.formats, "Output format(s), repeatable: " + Join(AvailableTableFormats()))
      ->capture_default_str()
      ->delimiter(',');
  cmd->add_option("--limit", o.limit, "Process only the first N images in key order (0 = all)")->capture_default_str();
  cmd->add_flag("--overwrite", o.overwrite, "Replace verger's outputs in a non-empty output location");
  cmd->add_flag("--resume,--incremental", o.resume,
                "Continue an interrupted or earlier run in the same output: keep partitions whose marker shows\n"
                "them complete for the same images, model and formats, copy the rows of unchanged images\n"
                "(same key, size, mtime/ETag) from the rest, compute only new or changed images; drop rows of\n"
                "removed images and other leftovers");
  cmd->add_option("--max-errors", o.max_errors,
                  "Fail (exit 1) once more than N images could not be used (-1 = never)")
      ->capture_default_str();
  cmd->add_option("--max-pixels", o.max_pixels,
                  "Refuse images with more pixels than this before decoding (decompression-bomb guard)")
      ->capture_default_str();
  cmd->add_option("--s3-endpoint", o.store.s3_endpoint, "S3-compatible endpoint URL (default: AWS_ENDPOINT_URL or AWS)");
  cmd->add_option("--s3-region", o.store.s3_region, "S3 region (default: AWS_REGION / profile / us-east-1)");
  cmd->add_flag("--s3-path-style", o.store.s3_path_style, "Address buckets as endpoint/bucket/key");
  cmd->add_option("--progress", progress, "Progress display: auto (bar on a terminal, log lines otherwise), bar, log, none")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "bar", "log", "none"}));
}

Progress::Mode ProgressMode(const std::string& s) {
  if (s == "bar") return Progress::Mode::kBar;
  if (s == "log") return Progress::Mode::kLog;
  if (s == "none") return Progress::Mode::kQuiet;
  return Progress::Mode::kAuto;
}

void PrintExtractSummary(const ExtractSummary& s) {
  std::fprintf(stderr,
               "verger: %lld images: %lld ok (%lld computed, %lld reused), %lld failed, %lld partitions (%lld reused), "
               "%lld-d features in %.1f s (%.1f images/s) -> %s\n",
               static_cast<long long>(s.listed), static_cast<long long>(s.ok),
               static_cast<long long>(s.images_computed), static_cast<long long>(s.images_reused),
               static_cast<long long>(s.failed), static_cast<long long>(s.partitions),
               static_cast<long long>(s.partitions_reused),
               static_cast<long long>(s.feature_dim), s.wall_s, s.images_per_s, s.output_uri.c_str());
  std::fprintf(stderr, "verger: backend %s, batch %d (%s)\n", s.backend_choice.c_str(), s.batch, s.backend.c_str());
  if (s.images_computed > 0)
    std::fprintf(stderr, "verger: time by stage (read and decode are summed over their threads): %s\n",
                 s.stages.ToString().c_str());
  if (s.store_retries > 0)
    std::fprintf(stderr, "verger: %lld storage requests were retried (throttling, 5xx or dropped connections); "
                 "all succeeded\n", static_cast<long long>(s.store_retries));
}

void AddExtractCommand(CLI::App& app, Action& action, const std::string& command_line) {
  auto options = std::make_shared<ExtractOptions>();
  auto progress = std::make_shared<std::string>("auto");
  CLI::App* cmd = app.add_subcommand(
      "extract",
      "Turn images into feature tables: features/label=<Label>/part-NNNNN.<fmt>, manifest.json, errors.csv.\n"
      "Example: verger extract --input photos/ --output out/ --model mobilenetv2 --format csv");
  AddExtractOptions(cmd, *options, *progress);
  cmd->callback([&action, options, progress, command_line] {
    action = [options, progress, command_line]() -> int {
      options->command_line = command_line;
      options->progress = ProgressMode(*progress);
      auto result = RunExtract(*options);
      if (!result.ok()) return Fail(result.status());
      PrintExtractSummary(*result);
      if (result->max_errors_exceeded) {
        std::fprintf(stderr, "verger: error: more than %lld images failed (--max-errors); see %s/errors.csv\n",
                     static_cast<long long>(options->max_errors), result->output_uri.c_str());
        return 1;
      }
      return 0;
    };
  });
}

}  // namespace verger::cli
