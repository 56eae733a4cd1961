// dgsim train: learn an energy (or a vector field) from a dataset's consecutive states.
//
// Files: the model file (-o) is written atomically at the end. During training a checkpoint
// `<output>.ckpt` (model, Adam state, next iteration, evaluation log) is written atomically
// every --checkpoint-every iterations and every --checkpoint-seconds of wall time (so a
// SIGKILL, e.g. a batch job's hard time limit, loses little), on SIGINT/SIGTERM (exit 75) and
// before a numerical failure (exit 3); it is removed after the model file is written. --resume continues from it;
// the batches depend only on (seed, iteration), so the final weights are bit-identical to an
// uninterrupted run with the same seed and --threads.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <optional>
#include <sys/stat.h>

#include "apps/dgsim/cli_common.hpp"
#include "apps/dgsim/commands.hpp"
#include "lib/ad/gemm_threads.hpp"
#include "lib/core/atomic_file.hpp"
#include "lib/core/error.hpp"
#include "lib/core/interrupt.hpp"
#include "lib/core/log.hpp"
#include "lib/core/memory.hpp"
#include "lib/core/progress.hpp"
#include "lib/core/version.hpp"
#include "lib/io/dataset_file.hpp"
#include "lib/nn/model_file.hpp"
#include "lib/nn/training.hpp"

namespace dgsim::cli {

namespace {

// The paper's training settings per dataset (PAPER.md); batch 0 = full batch.
struct Defaults {
  const char* system;
  long iterations;
  long batch;
  double lr;
  double weight_decay;
  bool friction;
};
constexpr Defaults kDefaults[] = {
    {"mass-spring", 2000, 0, 1e-3, 1e-4, false},
    {"pendulum", 2000, 0, 1e-3, 1e-4, false},
    {"two-body", 10000, 200, 1e-3, 0.0, false},
    {"kdv", 10000, 200, 1e-3, 0.0, false},
    {"cahn-hilliard", 10000, 200, 1e-3, 0.0, false},
    {"real-pendulum", 2000, 0, 1e-3, 1e-5, true},
};
constexpr Defaults kOtherDefaults = {"other", 2000, 0, 1e-3, 0.0, false};

const Defaults& defaults_for(const std::string& system) {
  for (const auto& d : kDefaults)
    if (system == d.system) return d;
  return kOtherDefaults;
}

std::string defaults_table() {
  std::string s = "defaults per dataset (the DGNet paper's settings; batch 0 = full batch):\n";
  for (const auto& d : kDefaults)
    s += fmt::format("  {:<14} iterations {:>5}  batch {:>3}  lr {:g}  weight decay {:g}{}\n", d.system, d.iterations,
                     d.batch, d.lr, d.weight_decay, d.friction ? "  friction on" : "");
  s += fmt::format("  {:<14} iterations {:>5}  batch {:>3}  lr {:g}  weight decay {:g}\n", "(other)",
                   kOtherDefaults.iterations, kOtherDefaults.batch, kOtherDefaults.lr, kOtherDefaults.weight_decay);
  return s;
}

// The structure matrix of a PDE dataset: a positive multiple of D or D2 on the grid with
// spacing dx (the files store D/Δx and D2/Δx, since their H carries the factor Δx; the model
// uses D and D2 with Euclidean gradients, as the authors' code, and the learned H absorbs the
// factor).
nn::Structure pde_structure(const Mat& G, double dx, const std::string& path) {
  const Eigen::Index n = G.rows();
  Mat d = Mat::Zero(n, n), d2 = Mat::Zero(n, n);
  for (Eigen::Index k = 0; k < n; ++k) {
    d(k, (k + 1) % n) += 1.0 / (2.0 * dx);
    d(k, (k + n - 1) % n) -= 1.0 / (2.0 * dx);
    d2(k, (k + 1) % n) += 1.0 / (dx * dx);
    d2(k, (k + n - 1) % n) += 1.0 / (dx * dx);
    d2(k, k) -= 2.0 / (dx * dx);
  }
  for (auto [m, s] : {std::pair{&d, nn::Structure::D}, std::pair{&d2, nn::Structure::D2}}) {
    const double c = G.cwiseProduct(*m).sum() / m->squaredNorm();  // least-squares factor
    if (c > 0 && (G - c * *m).lpNorm<Eigen::Infinity>() <= 1e-9 * G.lpNorm<Eigen::Infinity>()) return s;
  }
  throw IoError(fmt::format("structure matrix is not a multiple of D or D2 on the grid (dx = {})", dx), path, "structure/G");
}

bool file_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

// Settings a checkpoint must share with the run that resumes it.
struct Identity {
  std::map<std::string, std::string> text;
  std::map<std::string, double> numbers;
  std::map<std::string, std::int64_t> ints;
};

void check_same(const Identity& want, const nn::ModelFile& ckpt, const std::string& path) {
  for (const auto& [k, v] : want.text) {
    const auto it = ckpt.info_text.find(k);
    if (it == ckpt.info_text.end() || it->second != v)
      throw ConfigError(fmt::format("checkpoint {} was written with {} '{}', this run has '{}' (remove it or match the settings)",
                                    path, k, it == ckpt.info_text.end() ? "?" : it->second, v));
  }
  // A setting missing from the checkpoint is newer than it and was off (0) when it was written.
  for (const auto& [k, v] : want.numbers) {
    const auto it = ckpt.info_numbers.find(k);
    const double had = it == ckpt.info_numbers.end() ? 0.0 : it->second;
    if (!(had == v || (std::isnan(had) && std::isnan(v))))
      throw ConfigError(fmt::format("checkpoint {} was written with {} {}, this run has {} (remove it or match the settings)",
                                    path, k, had, v));
  }
  for (const auto& [k, v] : want.ints) {
    const auto it = ckpt.info_ints.find(k);
    if (it == ckpt.info_ints.end() || it->second != v)
      throw ConfigError(fmt::format("checkpoint {} was written with {} {}, this run has {} (remove it or match the settings)",
                                    path, k, it == ckpt.info_ints.end() ? -1 : it->second, v));
  }
}

// One evaluation: iteration, train loss (mean over the window since the last evaluation), test
// loss, elapsed seconds, dopri5 accepted steps per iteration over the window (NaN otherwise).
using LogRow = std::array<double, 5>;

Mat log_matrix(const std::vector<LogRow>& rows) {
  Mat m(static_cast<Eigen::Index>(rows.size()), 5);
  for (size_t r = 0; r < rows.size(); ++r)
    for (int c = 0; c < 5; ++c) m(static_cast<Eigen::Index>(r), c) = rows[r][static_cast<size_t>(c)];
  return m;
}


std::string log_line(const LogRow& r) {
  return fmt::format("{{\"iteration\": {}, \"train_loss\": {}, \"test_loss\": {}, \"elapsed\": {:.3f}{}}}",
                     static_cast<long>(r[0]), json_number(r[1]), json_number(r[2]), r[3],
                     std::isnan(r[4]) ? "" : fmt::format(", \"dopri5_steps_per_iteration\": {}", json_number(r[4])));
}

}  // namespace

int run_train(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string data_path, model_name, integrator, output, log_path, friction_opt = "auto";
  long iterations = 0, batch = 0, eval_every = 0, checkpoint_every = 0;
  double lr = 0, weight_decay = 0, rtol = 1e-7, atol = 1e-9, fixed_dt = 0, step_dt = 0, checkpoint_seconds = 600;
  // --graph-memory: GiB, or a percentage of the memory this process may use. By default half:
  // the graph of a batch is most of a dopri5 training's memory, and the rest of the process and
  // the machine need the other half.
  const double usable_gib = usable_memory_bytes() / 1073741824.0;
  std::string graph_memory_arg = "50%";
  std::string lr_decay = "none", dtype = "float64";
  int hidden = 200, threads = 1;
  std::int64_t seed_arg = 0;
  bool resume = false;

  po::options_description desc("options");
  desc.add_options()
      ("data", po::value(&data_path), "dataset file (dgsim generate)")
      ("model", po::value(&model_name), "dgnet, hnn (HNN++ on PDEs), node or srnn")
      ("integrator", po::value(&integrator),
       "training step: dgnet dg (Eq. 11); hnn/node rk2 (default), dopri5, euler, rk4; srnn leapfrog")
      ("output,o", po::value(&output), "model file (default: DATA-MODEL.h5 in the current folder)")
      ("iterations", po::value(&iterations), "Adam steps (default: per dataset, above)")
      ("batch", po::value(&batch), "pairs per step, 0 = full batch (default: per dataset)")
      ("lr", po::value(&lr), "Adam learning rate (default 1e-3)")
      ("lr-decay", po::value(&lr_decay), "none (constant, the paper's) or cosine (from --lr to 0 over --iterations)")
      ("dtype", po::value(&dtype), "precision of the recorded training losses: float64 (default) or float32 (single-precision "
                                   "products, as the paper's PyTorch code trains; θ, gradients and Adam stay float64)")
      ("weight-decay", po::value(&weight_decay), "L2 weight decay as torch.optim.Adam (default: per dataset)")
      ("hidden", po::value(&hidden), "hidden width / channels (default 200)")
      ("friction", po::value(&friction_opt), "learned friction G = S - diag(0, g), g >= 0 from 0: on, off, auto (on for real-pendulum)")
      ("fixed-dt", po::value(&fixed_dt),
       "use this Δt for every pair, in the target and the step, instead of the stored times (default: the "
       "measured Δt of each pair, which is also what the DGNet authors' real-pendulum targets use)")
      ("step-dt", po::value(&step_dt),
       "step the model (node, hnn, srnn) with this Δt for every pair while the target keeps each pair's measured Δt, "
       "as the DGNet authors' real-pendulum scripts do with 1/6 (0.16666666666666666); dgnet's loss has no step")
      ("rtol", po::value(&rtol), "dopri5 training steps: relative tolerance (default 1e-7, torchdiffeq's)")
      ("atol", po::value(&atol), "dopri5 training steps: absolute tolerance (default 1e-9)")
      ("graph-memory", po::value(&graph_memory_arg),
       fmt::format("dopri5 training: bound on the memory of a batch's recorded graph, in GiB, or with % a share of "
                   "the memory this process may use, physical or its control group's limit ({:.1f} GiB here; "
                   "default 50%). A batch whose graph would exceed it (many steps per Δt) is recorded again in "
                   "chunks of pairs with the same step sizes: the same loss and gradient for one more forward pass",
                   usable_gib).c_str())
      ("seed", po::value(&seed_arg), "seed of the initial weights and of the batches")
      ("threads", po::value(&threads), "worker threads, each training on a block of the batch and evaluating a share of the test pairs (default 1; results are reproducible for a fixed value)")
      ("eval-every", po::value(&eval_every), "iterations between evaluations of the test loss (default: iterations/20)")
      ("checkpoint-every", po::value(&checkpoint_every), "iterations between checkpoints OUTPUT.ckpt (default: iterations/10)")
      ("checkpoint-seconds", po::value(&checkpoint_seconds),
       "also write OUTPUT.ckpt once this much wall time has passed since the last one (default 600; 0 = off)")
      ("resume", po::bool_switch(&resume), "continue from OUTPUT.ckpt if it exists (else start afresh)")
      ("log", po::value(&log_path), "write one JSON line per evaluation: iteration, train loss, test loss, elapsed (and for dopri5 "
       "the accepted steps per iteration since the last evaluation)");
  add_common_options(desc, common);
  po::positional_options_description pos;
  po::variables_map vm;
  if (!parse("train", args, desc, pos, vm, "dgsim train --data FILE --model dgnet|hnn|node|srnn [options]\n\n" + defaults_table(),
             "dgsim train --data kdv.h5 --model dgnet -o kdv-dgnet.h5 --log kdv-dgnet.jsonl"))
    return 0;
  apply_common_options(common);

  // ---- validate options
  if (data_path.empty()) throw UsageError("train", "no dataset given: --data FILE");
  if (model_name.empty()) throw UsageError("train", "no model given: --model dgnet|hnn|node|srnn");
  const nn::ModelKind kind = nn::parse_model_kind(model_name);
  const nn::Scheme scheme = integrator.empty() ? nn::default_scheme(kind) : nn::parse_scheme(integrator);
  nn::check_scheme(kind, scheme);
  if (vm.count("iterations") && iterations < 1) throw UsageError("train", fmt::format("--iterations must be positive, got {}", iterations));
  if (batch < 0) throw UsageError("train", fmt::format("--batch must be >= 0 (0 = full batch), got {}", batch));
  if (dtype != "float64" && dtype != "float32")
    throw UsageError("train", fmt::format("--dtype '{}' is not known (accepted: float64, float32)", dtype));
  if (lr_decay != "none" && lr_decay != "cosine")
    throw UsageError("train", fmt::format("--lr-decay '{}' is not known (accepted: none, cosine)", lr_decay));
  if (vm.count("lr") && !(lr > 0)) throw UsageError("train", fmt::format("--lr must be positive, got {}", lr));
  if (vm.count("weight-decay") && !(weight_decay >= 0)) throw UsageError("train", fmt::format("--weight-decay must be >= 0, got {}", weight_decay));
  if (hidden < 1) throw UsageError("train", fmt::format("--hidden must be positive, got {}", hidden));
  if (threads < 1) throw UsageError("train", fmt::format("--threads must be positive, got {}", threads));
  const std::uint64_t seed = seed_value("train", seed_arg);
  if (eval_every < 0 || checkpoint_every < 0) throw UsageError("train", "--eval-every and --checkpoint-every must be positive");
  if (!(checkpoint_seconds >= 0) || !std::isfinite(checkpoint_seconds))
    throw UsageError("train", fmt::format("--checkpoint-seconds must be >= 0 (0 = off), got {}", checkpoint_seconds));
  double graph_memory = 0;  // GiB
  {
    const bool percent = !graph_memory_arg.empty() && graph_memory_arg.back() == '%';
    const std::string number = percent ? graph_memory_arg.substr(0, graph_memory_arg.size() - 1) : graph_memory_arg;
    char* end = nullptr;
    const double x = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || !(x > 0) || !std::isfinite(x) || (percent && x > 100))
      throw UsageError("train", fmt::format("--graph-memory must be a positive number of GiB or a percentage "
                                            "(0-100%) of the usable memory, got {}", graph_memory_arg));
    graph_memory = percent ? x / 100 * usable_gib : x;
  }
  if (!(rtol > 0) || !(atol > 0)) throw UsageError("train", fmt::format("tolerances must be positive, got rtol {} atol {}", rtol, atol));
  if (!(fixed_dt >= 0)) throw UsageError("train", fmt::format("--fixed-dt must be positive, got {}", fixed_dt));
  if (!(step_dt >= 0)) throw UsageError("train", fmt::format("--step-dt must be positive, got {}", step_dt));
  if (fixed_dt > 0 && step_dt > 0)
    throw UsageError("train", "--fixed-dt (target and step) and --step-dt (step only) exclude each other: give one");
  if (friction_opt != "on" && friction_opt != "off" && friction_opt != "auto")
    throw UsageError("train", fmt::format("--friction '{}' is not on, off or auto", friction_opt));
  if (scheme != nn::Scheme::dopri5 && (vm.count("rtol") || vm.count("atol")))
    DGSIM_LOG_WARN("--rtol/--atol only apply to --integrator dopri5; ignored");
  if (output.empty()) {
    std::string stem = data_path.substr(data_path.find_last_of('/') + 1);
    if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".h5") == 0) stem.resize(stem.size() - 3);
    output = stem + "-" + model_name + ".h5";
  }
  check_output_path(output, {{"--data", data_path}});
  const std::string ckpt_path = output + ".ckpt";
  check_output_path(ckpt_path, {{"--data", data_path}});
  if (!log_path.empty()) check_output_path(log_path, {{"--data", data_path}, {"output", output}, {"checkpoint", ckpt_path}});

  // ---- data and settings
  const io::TrajectorySet data = io::read_dataset(data_path);
  const Defaults& def = defaults_for(data.system);
  if (!vm.count("iterations")) iterations = def.iterations;
  if (!vm.count("batch")) batch = def.batch;
  if (!vm.count("lr")) lr = def.lr;
  if (!vm.count("weight-decay")) weight_decay = def.weight_decay;
  if (eval_every == 0) eval_every = std::max(1L, iterations / 20);
  if (checkpoint_every == 0) checkpoint_every = std::max(1L, iterations / 10);
  // Friction needs an energy with G = S - R; SRNN's leapfrog needs a separable vector field.
  const bool friction_ok = kind == nn::ModelKind::dgnet || kind == nn::ModelKind::hnn;
  if (friction_opt == "on" && !friction_ok)
    throw UsageError("train", fmt::format("--friction on needs model dgnet or hnn, not {}", model_name));
  const bool friction = friction_opt == "on" || (friction_opt == "auto" && def.friction && friction_ok);

  const nn::PairSet train = nn::make_pairs(data, 0, fixed_dt, step_dt);
  const nn::PairSet test = nn::make_pairs(data, 1, fixed_dt, step_dt);
  if (train.size() == 0) throw ConfigError(fmt::format("dataset {} has no training pairs", data_path));

  nn::ModelConfig cfg;
  cfg.kind = kind;
  cfg.pde = data.n_spatial_dims == 1;
  cfg.dim = static_cast<int>(data.dim);
  cfg.hidden = hidden;
  cfg.seed = seed;
  cfg.friction = friction;
  if (cfg.pde) {
    if (data.x.size() < 2) throw IoError("a PDE dataset needs the grid dimensions/x", data_path, "dimensions/x");
    cfg.dx = data.x[1] - data.x[0];
    cfg.structure = pde_structure(data.G, cfg.dx, data_path);
  }
  nn::AdamOptions adam_opt;
  adam_opt.lr = lr;
  adam_opt.weight_decay = weight_decay;
  adam_opt.decay_steps = lr_decay == "cosine" ? iterations : 0;

  nn::LossOptions loss_opt;
  loss_opt.scheme = scheme;
  loss_opt.rtol = rtol;
  loss_opt.atol = atol;
  loss_opt.max_graph_bytes = graph_memory * 1073741824.0;
  loss_opt.float32 = dtype == "float32";

  const std::string data_sum = nn::checksum(data.u);
  Identity id;
  id.text = {{"data.checksum", data_sum}, {"data.system", data.system}, {"train.integrator", nn::to_string(scheme)}, {"model", model_name}};
  id.numbers = {{"train.float32", loss_opt.float32 ? 1.0 : 0.0}, {"train.lr", lr}, {"train.weight_decay", weight_decay}, {"train.fixed_dt", fixed_dt}, {"train.step_dt", step_dt},
                {"train.rtol", rtol}, {"train.atol", atol}};
  id.ints = {{"train.batch", batch}, {"train.seed", static_cast<std::int64_t>(seed)}, {"train.hidden", hidden},
             {"train.friction", friction}};

  // ---- model and optimizer, fresh or from the checkpoint
  std::optional<nn::Model> model;
  std::optional<nn::Adam> adam;
  long next = 0;
  std::vector<LogRow> log_rows;
  double window_sum = 0.0, elapsed_before = 0.0;
  long window_count = 0;
  // dopri5 training: accepted steps over the current window, and totals over the run (kept in
  // the checkpoint; a checkpoint written before they existed counts from the resumed iteration).
  long window_steps = 0, window_steps_count = 0;
  nn::GraphEstimate graph_est;  // the objective's, as of the last completed iteration (--graph-memory decisions)
  // iterations counted, accepted, rejected, evaluations, max accepted, iterations recorded in chunks (--graph-memory)
  std::array<std::int64_t, 6> d5 = {0, 0, 0, 0, 0, 0};
  const std::array<const char*, 6> d5_keys = {"checkpoint.dopri5_iterations", "checkpoint.dopri5_steps", "checkpoint.dopri5_rejected",
                                              "checkpoint.dopri5_evaluations", "checkpoint.dopri5_max_steps",
                                              "checkpoint.dopri5_chunked"};
  if (resume && file_exists(ckpt_path)) {
    const nn::ModelFile ck = nn::read_model_file(ckpt_path);
    check_same(id, ck, ckpt_path);
    if (const auto it = ck.info_text.find("blas"); it != ck.info_text.end() && it->second != blas_kernel())
      DGSIM_LOG_WARN("checkpoint {} was written with the {} kernels and this run has {}: the result will not repeat an "
                     "uninterrupted run bit for bit (OPENBLAS_CORETYPE pins the kernels)", ckpt_path, it->second, blas_kernel());
    nn::RestoredModel rm = nn::import_state(ck.state);
    if (!rm.adam) throw IoError("checkpoint holds no optimizer state", ckpt_path, "adam");
    if (kind == nn::ModelKind::node && rm.model.config().node_bias != cfg.node_bias)
      DGSIM_LOG_WARN("checkpoint {} holds a NODE {} an output bias; training goes on with the checkpoint's architecture",
                     ckpt_path, rm.model.config().node_bias ? "with" : "without");
    model.emplace(std::move(rm.model));
    adam.emplace(*rm.adam);
    if (adam->options().decay_steps != adam_opt.decay_steps)
      throw ConfigError(fmt::format("checkpoint {} was written with a learning-rate decay over {} steps, this run has {} "
                                    "(--lr-decay and --iterations must match it)", ckpt_path, adam->options().decay_steps, adam_opt.decay_steps));
    next = static_cast<long>(ck.info_ints.at("checkpoint.next_iteration"));
    window_sum = ck.info_numbers.at("checkpoint.window_sum");
    window_count = static_cast<long>(ck.info_ints.at("checkpoint.window_count"));
    for (size_t i = 0; i < d5.size(); ++i)
      if (const auto it = ck.info_ints.find(d5_keys[i]); it != ck.info_ints.end()) d5[i] = it->second;
    if (const auto it = ck.info_ints.find("checkpoint.window_dopri5_steps"); it != ck.info_ints.end()) window_steps = it->second;
    if (const auto it = ck.info_ints.find("checkpoint.window_dopri5_count"); it != ck.info_ints.end()) window_steps_count = it->second;
    if (const auto it = ck.info_numbers.find("checkpoint.graph_row_step_bytes"); it != ck.info_numbers.end()) graph_est.row_step_bytes = it->second;
    if (const auto it = ck.info_numbers.find("checkpoint.graph_backward_factor"); it != ck.info_numbers.end()) graph_est.backward_factor = it->second;
    if (const auto it = ck.info_ints.find("checkpoint.graph_last_steps"); it != ck.info_ints.end()) graph_est.last_steps = it->second;
    elapsed_before = ck.info_numbers.at("checkpoint.elapsed");
    for (const auto& [name, m] : ck.extra)
      if (name == "training/log") {
        if (m.cols() != 4 && m.cols() != 5)
          throw IoError(fmt::format("training log has {} columns, expected 5 (or 4, before dopri5 statistics)", m.cols()), ckpt_path,
                        "training/log");
        for (Eigen::Index r = 0; r < m.rows(); ++r)
          log_rows.push_back({m(r, 0), m(r, 1), m(r, 2), m(r, 3), m.cols() > 4 ? m(r, 4) : std::nan("")});
      }
    const auto t = ck.info_ints.find("train.threads");
    if (t != ck.info_ints.end() && t->second != threads)
      DGSIM_LOG_WARN("checkpoint was written with --threads {}, this run uses {}: results may differ in the last bits", t->second, threads);
    if (next > iterations)
      throw ConfigError(fmt::format("checkpoint {} is at iteration {}, beyond --iterations {}", ckpt_path, next, iterations));
    DGSIM_LOG_INFO("resuming from {} at iteration {}", ckpt_path, next);
  } else {
    if (resume) DGSIM_LOG_INFO("no checkpoint {}; starting afresh", ckpt_path);
    model.emplace(cfg);
    adam.emplace(adam_opt, model->params().theta().size());
  }
  ad::set_gemm_threads(1);  // the parallelism is over blocks of the batch (PairObjective)

  std::ofstream log_file;
  if (!log_path.empty()) {
    log_file.open(log_path, std::ios::trunc);
    if (!log_file) throw IoError("cannot open the log file for writing", log_path);
    for (const auto& r : log_rows) log_file << log_line(r) << '\n';
    log_file.flush();
  }

  // ---- files
  const auto make_file = [&](bool with_adam) {
    nn::ModelFile f;
    f.state = nn::export_state(*model, with_adam ? &*adam : nullptr);
    f.info_text = id.text;
    f.info_numbers = id.numbers;
    f.info_ints = id.ints;
    f.info_text["command_line"] = command_line();
    f.info_text["train.lr_decay"] = lr_decay;
    f.info_text["train.dtype"] = dtype;
    f.info_text["data.path"] = data_path;
    f.info_text["data.checksum_algorithm"] = "fnv1a64 of t0_fields/u (float64 bytes, row-major)";
    f.info_ints["train.iterations"] = iterations;
    f.info_ints["train.threads"] = threads;
    f.info_ints["train.eval_every"] = eval_every;
    if (scheme == nn::Scheme::dopri5) f.info_numbers["train.graph_memory_gib"] = graph_memory;  // the bound in force
    f.info_ints["data.train_pairs"] = train.size();
    f.info_ints["data.test_pairs"] = test.size();
    f.info_text["train.loss"] = scheme == nn::Scheme::dg ? "mean of ((u1 - u0)/dt - Gbar dgradH(u1, u0))^2 (Eq. 11)"
                                                         : "mean of ((u1hat - u0)/dt - (u1 - u0)/dt)^2, u1hat one step of the integrator";
    f.extra.emplace_back("training/log", log_matrix(log_rows));
    return f;
  };
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return elapsed_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  auto last_checkpoint = std::chrono::steady_clock::now();
  const auto write_checkpoint = [&](long next_iteration) {
    last_checkpoint = std::chrono::steady_clock::now();
    nn::ModelFile f = make_file(true);
    f.info_ints["checkpoint.next_iteration"] = next_iteration;
    f.info_ints["checkpoint.window_count"] = window_count;
    f.info_numbers["checkpoint.window_sum"] = window_sum;
    if (scheme == nn::Scheme::dopri5) {
      for (size_t i = 0; i < d5.size(); ++i) f.info_ints[d5_keys[i]] = d5[i];
      f.info_ints["checkpoint.window_dopri5_steps"] = window_steps;
      f.info_ints["checkpoint.window_dopri5_count"] = window_steps_count;
      f.info_numbers["checkpoint.graph_row_step_bytes"] = graph_est.row_step_bytes;
      f.info_numbers["checkpoint.graph_backward_factor"] = graph_est.backward_factor;
      f.info_ints["checkpoint.graph_last_steps"] = graph_est.last_steps;
    }
    f.info_numbers["checkpoint.elapsed"] = elapsed();
    nn::write_model_file(ckpt_path, f);
  };

  // ---- training
  ad::Tape eval_tape;
  const auto evaluate = [&](long done) {
    const double train_loss = window_count > 0 ? window_sum / static_cast<double>(window_count) : std::nan("");
    const double test_loss = nn::evaluate_loss(*model, eval_tape, test, loss_opt, 500, threads);
    const double steps = window_steps_count > 0 ? static_cast<double>(window_steps) / static_cast<double>(window_steps_count) : std::nan("");
    log_rows.push_back({static_cast<double>(done), train_loss, test_loss, elapsed(), steps});
    window_sum = 0.0;
    window_count = 0;
    window_steps = 0;
    window_steps_count = 0;
    if (log_file.is_open()) {
      log_file << log_line(log_rows.back()) << '\n';
      log_file.flush();
    }
    DGSIM_LOG_DEBUG("iteration {}: train loss {:.6g}, test loss {:.6g}", done, train_loss, test_loss);
  };

  DGSIM_LOG_INFO("training {} ({} parameters) on {}: {} train / {} test pairs, {} iterations, batch {}, integrator {}",
                 model_name, model->params().theta().size(), data.system, train.size(), test.size(), iterations,
                 batch == 0 || batch >= train.size() ? std::string("full") : std::to_string(batch), nn::to_string(scheme));
  nn::PairObjective objective(*model, train, batch, seed, loss_opt, threads);
  objective.set_graph_estimate(graph_est);  // a resumed training decides on chunks as the uninterrupted one
  std::optional<Progress> progress(std::in_place, "train", iterations, !common.quiet);
  bool interrupted = false;
  long completed = next;  // iterations done so far
  ode::Stats seen;        // objective.dopri5_stats() at the last callback
  long seen_chunked = 0;  // objective.dopri5_chunked() at the last callback
  const std::vector<nn::Callback> callbacks = {[&](const nn::StepInfo& s) {
    completed = s.iteration + 1;
    window_sum += s.loss;
    ++window_count;
    if (scheme == nn::Scheme::dopri5) {  // this iteration's share of the objective's running totals
      const ode::Stats& now = objective.dopri5_stats();
      const std::int64_t accepted = now.n_steps - seen.n_steps;
      d5[0] += 1;
      d5[1] += accepted;
      d5[2] += now.n_rejected - seen.n_rejected;
      d5[3] += now.n_rhs - seen.n_rhs;
      d5[4] = std::max(d5[4], accepted);
      d5[5] += objective.dopri5_chunked() - seen_chunked;
      seen_chunked = objective.dopri5_chunked();
      graph_est = objective.graph_estimate();
      window_steps += accepted;
      ++window_steps_count;
      seen = now;
    }
    if (completed % eval_every == 0 || completed == iterations) evaluate(completed);
    const bool due = completed % checkpoint_every == 0 ||
                     (checkpoint_seconds > 0 &&
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint).count() >= checkpoint_seconds);
    if (due && completed < iterations) write_checkpoint(completed);
    progress->update(completed);
    interrupted = interrupt_requested();
    return interrupted;
  }};
  try {
    next = nn::optimize(objective, model->params().theta(), *adam, next, iterations, callbacks);
  } catch (const NumericalError& e) {
    // θ and Adam still hold the finite state at the start of the failing iteration.
    write_checkpoint(completed);
    throw NumericalError(fmt::format("{}; the last good state (after {} iterations) is saved in {}", e.what(), completed, ckpt_path));
  }
  if (interrupted && next < iterations) {
    write_checkpoint(next);
    throw Interrupted(fmt::format("interrupted after {} iterations; checkpoint {} written, continue with --resume", next, ckpt_path));
  }
  progress.reset();  // clears the bar before the summary lines
  if (log_rows.empty() || static_cast<long>(log_rows.back()[0]) != iterations) evaluate(iterations);
  const double final_train = log_rows.back()[1], final_test = log_rows.back()[2];

  // DGNet on ODE states: the implicit scheme (Eq. 6) on the test pairs, once, at the end.
  std::optional<nn::ImplicitScores> implicit;
  if (kind == nn::ModelKind::dgnet && !cfg.pde && test.size() > 0) {
    implicit = nn::implicit_scores(*model, test);
    if (implicit->not_converged > 0)
      DGSIM_LOG_WARN("implicit test predictions: {} Newton solves did not reach 1e-12", implicit->not_converged);
  }

  nn::ModelFile f = make_file(false);
  if (implicit) {
    f.info_numbers["result.test_implicit_one_step_mse"] = implicit->one_step;
    f.info_numbers["result.test_implicit_rollout_mse"] = implicit->rollout;
    f.info_ints["result.test_rollout_runs"] = implicit->n_runs;
  }
  f.info_numbers["result.train_loss"] = final_train;
  f.info_numbers["result.test_loss"] = final_test;
  const double total_seconds = elapsed();  // summed over resumed segments; the file and --json report the same
  // The whole training's rate, on the same count: a resumed run reports iterations / seconds of all its segments.
  const double its_per_s = total_seconds > 0 ? static_cast<double>(iterations) / total_seconds : 0.0;
  f.info_numbers["result.seconds"] = total_seconds;
  f.info_numbers["result.iterations_per_second"] = its_per_s;
  // dopri5 training: the solver's work per iteration (each accepted or rejected step evaluates f
  // on the whole batch), over the iterations counted (d5[0]; all, unless resumed from an older checkpoint).
  std::string d5_json;
  if (scheme == nn::Scheme::dopri5 && d5[0] > 0) {
    const double n = static_cast<double>(d5[0]);
    const double per_it[3] = {static_cast<double>(d5[1]) / n, static_cast<double>(d5[2]) / n, static_cast<double>(d5[3]) / n};
    f.info_numbers["result.dopri5_steps_per_iteration"] = per_it[0];
    f.info_numbers["result.dopri5_rejected_per_iteration"] = per_it[1];
    f.info_numbers["result.dopri5_evaluations_per_iteration"] = per_it[2];
    f.info_ints["result.dopri5_max_steps"] = d5[4];
    f.info_ints["result.dopri5_iterations_counted"] = d5[0];
    f.info_ints["result.dopri5_chunked_iterations"] = d5[5];
    d5_json = fmt::format(", \"dopri5\": {{\"steps_per_iteration\": {}, \"rejected_per_iteration\": {}, "
                          "\"evaluations_per_iteration\": {}, \"max_steps\": {}, \"iterations_counted\": {}, "
                          "\"chunked_iterations\": {}}}",
                          json_number(per_it[0]), json_number(per_it[1]), json_number(per_it[2]), d5[4], d5[0], d5[5]);
    DGSIM_LOG_INFO("dopri5 training steps: {:.3g} accepted and {:.3g} rejected per iteration (at most {}), {:.3g} evaluations of f",
                   per_it[0], per_it[1], d5[4], per_it[2]);
  }
  nn::write_model_file(output, f);
  std::remove(ckpt_path.c_str());

  const std::string implicit_json =
      implicit ? fmt::format(", \"test_implicit_one_step_mse\": {}, \"test_implicit_rollout_mse\": {}", json_number(implicit->one_step),
                             json_number(implicit->rollout))
               : "";
  if (common.json)
    std::cout << fmt::format("{{\"output\": {}, \"model\": {}, \"system\": {}, \"integrator\": {}, \"iterations\": {}, "
                             "\"train_loss\": {}, \"test_loss\": {}{}{}, \"seconds\": {:.3f}, \"iterations_per_second\": {:.4g}, "
                             "\"threads\": {}, \"dtype\": {}, \"dgsim_version\": {}, \"git_commit\": {}, \"blas\": {}}}\n",
                             json_quote(output), json_quote(model_name), json_quote(data.system), json_quote(nn::to_string(scheme)),
                             iterations, json_number(final_train), json_number(final_test), implicit_json, d5_json, total_seconds,
                             its_per_s, threads, json_quote(dtype), json_quote(version()), json_quote(git_commit()), json_quote(blas_kernel()));
  if (implicit)
    DGSIM_LOG_INFO("implicit DG predictions on the test pairs: one-step MSE {:.4g}, rollout MSE {:.4g} ({} runs)",
                   implicit->one_step, implicit->rollout, implicit->n_runs);
  DGSIM_LOG_INFO("trained {} on {}: {} iterations in {:.2f} s ({:.3g} it/s), train loss {:.4g}, test loss {:.4g}; wrote {}",
                 model_name, data.system, iterations, total_seconds, its_per_s, final_train, final_test, output);
  return 0;
}

}  // namespace dgsim::cli
