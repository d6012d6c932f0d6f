#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/json_field.h"
#include "engine/extract_job.h"
#include "engine/extract_plan.h"
#include "engine/job_counts.h"
#include "engine/progress.h"
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
void AddExtractOptions(CLI::App* cmd, ExtractOptions& o, LogChoice& log) {
  cmd->add_option("-i,--input", o.input, "Folder (or s3://bucket/prefix) of images; searched recursively for "
                                         ".jpg/.jpeg/.png, label = parent folder name")
      ->required();
  cmd->add_option("-o,--output", o.output, "Folder (or s3://bucket/prefix) to write features/, manifest.json "
                                           "and errors.csv into; must be empty unless --overwrite or --resume")
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
      ->check(OneOf(BackendKindNames()));
  cmd->add_option("--device", o.device, "Device for backend torch: cpu (default) or cuda")
      ->check(OneOf(DeviceNames()));
  cmd->add_option("--precision", o.precision, "Precision for backend torch: fp32 (default), bf16, or int8 (needs a quantized model: docs/benchmarks.md)")
      ->check(OneOf(PrecisionNames()));
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
  cmd->add_option("--limit", o.limit,
                  "Process only the first N images in key order (0 = all): usually a single label; for a\n"
                  "representative trial run use --sample")
      ->capture_default_str();
  cmd->add_option("--sample", o.sample,
                  "Process N images sampled per label in proportion (every label gets at least one while N\n"
                  "allows), the same N for the same --seed and images (0 = all)")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of --sample")->capture_default_str();
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
  AddCommonOptions(cmd, o.store, log);
  cmd->add_option("--max-file-bytes", o.max_file_bytes,
                  "Refuse input files larger than this many bytes (errors.csv row) without reading them")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

void PrintExtractSummary(const ExtractSummary& s, const LogChoice& log) {
  if (log.json()) {
    nlohmann::json j = {{"time", Iso8601UtcNow()},  {"event", "summary"},     {"task", "extract"},
                        {"images", s.listed},       {"ok", s.ok},             {"failed", s.failed},
                        {"computed", s.images_computed}, {"reused", s.images_reused},
                        {"partitions", s.partitions}, {"partitions_reused", s.partitions_reused},
                        {"feature_dim", s.feature_dim}, {"wall_time_s", s.wall_s},
                        {"images_per_s", s.images_per_s}, {"output", s.output_uri},
                        {"errors_file", s.errors_uri}, {"stage_seconds", s.stages.ToJson()},
                        {"store_retries", s.store_retries}};
    if (s.counts) {
      j["labels"] = s.counts->LabelsJson();
      j["error_reasons"] = s.counts->ReasonsJson();
    }
    std::fprintf(stderr, "%s\n", j.dump().c_str());
    return;
  }
  std::fprintf(stderr,
               "verger: %lld images: %lld ok (%lld computed, %lld reused), %lld failed, %lld partitions (%lld reused), "
               "%lld-d features in %.1f s (%.1f images/s) -> %s\n",
               static_cast<long long>(s.listed), static_cast<long long>(s.ok),
               static_cast<long long>(s.images_computed), static_cast<long long>(s.images_reused),
               static_cast<long long>(s.failed), static_cast<long long>(s.partitions),
               static_cast<long long>(s.partitions_reused),
               static_cast<long long>(s.feature_dim), s.wall_s, s.images_per_s, s.output_uri.c_str());
  std::fprintf(stderr, "verger: backend %s, batch %d (%s)\n", s.backend_choice.c_str(), s.batch, s.backend.c_str());
  if (s.counts) {
    std::fprintf(stderr, "verger: per label: %s\n", FormatLabelCounts(*s.counts, 20).c_str());
    if (s.failed > 0)
      std::fprintf(stderr, "verger: failures by reason: %s; every image with its reason: %s\n",
                   FormatReasonCounts(*s.counts, 10).c_str(), s.errors_uri.c_str());
  }
  if (s.retried > 0)
    std::fprintf(stderr, "verger: %lld retried, %lld now ok (images that had failed in the earlier run)\n",
                 static_cast<long long>(s.retried), static_cast<long long>(s.retried_ok));
  if (s.images_computed > 0)
    std::fprintf(stderr, "verger: time by stage (read and decode are summed over their threads): %s\n",
                 s.stages.ToString().c_str());
  if (s.store_retries > 0)
    std::fprintf(stderr, "verger: %lld storage requests were retried (throttling, 5xx or dropped connections); "
                 "all succeeded\n", static_cast<long long>(s.store_retries));
}

int PrintExtractPlan(const ExtractOptions& options, bool with_pca) {
  auto plan = PlanExtract(options);
  if (!plan.ok()) return Fail(plan.status());
  std::fputs(DescribePlan(*plan, with_pca).c_str(), stdout);
  return 0;
}

void AddExtractCommand(CLI::App& app, Action& action, const std::string& command_line) {
  auto options = std::make_shared<ExtractOptions>();
  auto log = std::make_shared<LogChoice>();
  auto dry_run = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "extract",
      "Turn images into feature tables: features/label=<Label>/part-NNNNN.<fmt>, manifest.json, errors.csv.\n"
      "Example: verger extract --input photos/ --output out/ --model mobilenetv2 --format csv");
  AddExtractOptions(cmd, *options, *log);
  cmd->add_flag("--dry-run", *dry_run,
                "List and sample the input, plan partitions, load the model and check the output, then print\n"
                "what would be done (images per label, partitions, model, backend, files) and write nothing");
  cmd->callback([&action, options, log, dry_run, command_line] {
    action = [options, log, dry_run, command_line]() -> int {
      if (*dry_run) return PrintExtractPlan(*options, false);
      options->command_line = command_line;
      options->progress = log->Resolve();
      auto result = RunExtract(*options);
      if (!result.ok()) return Fail(result.status());
      PrintExtractSummary(*result, *log);
      if (result->max_errors_exceeded) {
        std::fprintf(stderr, "verger: error: more than %lld images failed (--max-errors); see %s\n",
                     static_cast<long long>(options->max_errors), result->errors_uri.c_str());
        return 1;
      }
      return 0;
    };
  });
}

}  // namespace verger::cli
