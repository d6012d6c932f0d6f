#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "engine/pca_job.h"
#include "engine/run_job.h"

namespace verger::cli {

namespace {

// The PCA size options; --variance 0.95 unless --components is given.
struct PcaArgs {
  PcaChoice choice{0, 0.95, false};
  CLI::Option* components = nullptr;
  PcaChoice Resolve() const {
    PcaChoice c = choice;
    if (components->count() > 0) c.variance = 0;
    return c;
  }
};

void AddPcaChoice(CLI::App* cmd, PcaArgs& a) {
  a.components = cmd->add_option("-k,--components", a.choice.components,
                                 "Keep K principal components (instead of --variance)");
  auto* v = cmd->add_option("--variance", a.choice.variance,
                            "Keep the smallest K whose cumulative explained variance reaches this fraction\n"
                            "(1 keeps every component)")
                ->capture_default_str()
                ->check(CLI::Range(0.0, 1.0));
  a.components->excludes(v);
  cmd->add_flag("--whiten", a.choice.whiten, "Scale components to unit variance (as scikit-learn's whiten=True)");
}

void PrintFit(const FitPcaSummary& s) {
  std::fprintf(stderr,
               "verger: PCA fit on %lld rows x %lld dims: kept %lld components explaining %.2f%% of the variance "
               "(%lld partition statistics read, %lld recomputed) in %.1f s\n",
               static_cast<long long>(s.n_samples), static_cast<long long>(s.dim), static_cast<long long>(s.components),
               100 * s.explained, static_cast<long long>(s.stats_from_files),
               static_cast<long long>(s.stats_recomputed), s.wall_s);
}

void PrintTransform(const TransformSummary& s) {
  std::fprintf(stderr, "verger: projected %lld rows of %lld partitions to %lld components in %.1f s\n",
               static_cast<long long>(s.rows), static_cast<long long>(s.partitions),
               static_cast<long long>(s.components), s.wall_s);
}

}  // namespace

void AddPcaCommands(CLI::App& app, Action& action, const std::string& command_line) {
  {
    auto o = std::make_shared<FitPcaOptions>();
    auto pca = std::make_shared<PcaArgs>();
    auto log = std::make_shared<LogChoice>();
    CLI::App* cmd = app.add_subcommand(
        "fit-pca",
        "Fit PCA on the features of an extract output (merging its per-partition statistics, or reading the\n"
        "features once when there are none). Writes <input>/pca/: model.json, mean.npy, components.npy,\n"
        "explained_variance(_ratio).npy (numpy-readable) and explained_variance.svg.\n"
        "Example: verger fit-pca --input out/train --variance 0.95");
    cmd->add_option("-i,--input", o->input, "Output folder of `verger extract` (or s3://...)")->required();
    AddPcaChoice(cmd, *pca);
    AddCommonOptions(cmd, o->store, *log);
    cmd->callback([&action, o, pca] {
      action = [o, pca]() -> int {
        o->pca = pca->Resolve();
        auto r = RunFitPca(*o);
        if (!r.ok()) return Fail(r.status());
        PrintFit(*r);
        return 0;
      };
    });
  }
  {
    auto o = std::make_shared<TransformOptions>();
    auto log = std::make_shared<LogChoice>();
    CLI::App* cmd = app.add_subcommand(
        "transform",
        "Project the features of an extract output with its fitted PCA (pca/model.json) into\n"
        "reduced/label=<Label>/part-NNNNN.<fmt> and draw pca/scatter_pc1_pc2.svg. Columns: path, label and\n"
        "the K components: one `pc FLOAT[K]` array column in Parquet, pc_0..pc_<K-1> in CSV, a rows x K\n"
        "matrix in NPY. Files of an earlier transform that this one does not write are removed.\n"
        "Example: verger transform --input out/train");
    cmd->add_option("-i,--input", o->input, "Output folder of `verger extract` + `verger fit-pca`")->required();
    cmd->add_option("--pca", o->pca, "Folder of a fitted PCA model to apply (default: <input>/pca), e.g. the\n"
                                     "model fitted on a training set applied to a test set");
    cmd->add_option("-f,--format", o->formats, "Output format(s) (default: those of the extract)")->delimiter(',');
    AddCommonOptions(cmd, o->store, *log);
    cmd->callback([&action, o, log] {
      action = [o, log]() -> int {
        o->progress = log->Resolve();
        auto r = RunTransform(*o);
        if (!r.ok()) return Fail(r.status());
        PrintTransform(*r);
        return 0;
      };
    });
  }
  {
    auto ex = std::make_shared<ExtractOptions>();
    auto pca = std::make_shared<PcaArgs>();
    auto log = std::make_shared<LogChoice>();
    auto refit = std::make_shared<bool>(false);
    auto dry_run = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "run",
        "extract -> fit-pca -> transform in one command. PCA statistics are accumulated while extracting,\n"
        "so the features are read back once, for the projection.\n"
        "Example: verger run --input photos/ --output out/ --model mobilenetv2 --variance 0.95");
    AddExtractOptions(cmd, *ex, *log);
    AddPcaChoice(cmd, *pca);
    cmd->add_flag("--refit-pca", *refit,
                  "With --resume/--incremental: fit PCA again on all features instead of projecting them with\n"
                  "the model already in <output>/pca/ (kept by default so projections stay comparable)");
    cmd->add_flag("--dry-run", *dry_run,
                  "List and sample the input, plan partitions, load the model and check the output, then print\n"
                  "what would be done and write nothing");
    cmd->callback([&action, ex, pca, log, refit, dry_run, command_line] {
      action = [ex, pca, log, refit, dry_run, command_line]() -> int {
        if (*dry_run) return PrintExtractPlan(*ex, true);
        ex->command_line = command_line;
        ex->progress = log->Resolve();
        RunObserver report;
        report.extracted = [log](const ExtractSummary& s) { PrintExtractSummary(s, *log); };
        report.kept_model = [](int64_t k) {
          std::fprintf(stderr, "verger: projecting with the existing PCA model in pca/ (%lld components; "
                               "--refit-pca fits again)\n", static_cast<long long>(k));
        };
        report.fitted = PrintFit;
        report.transformed = PrintTransform;
        auto ran = RunPipeline(RunOptions{*ex, pca->Resolve(), *refit}, report);
        if (!ran.ok()) return Fail(ran.status());
        if (ran->extract.max_errors_exceeded) {
          std::fprintf(stderr, "verger: error: more than %lld images failed (--max-errors); see %s\n",
                       static_cast<long long>(ex->max_errors), ran->extract.errors_uri.c_str());
          return 1;
        }
        return 0;
      };
    });
  }
}

}  // namespace verger::cli
