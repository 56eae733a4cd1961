#include "lib/io/dataset_file.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <fmt/format.h>

#include "lib/core/atomic_file.hpp"
#include "lib/core/error.hpp"
#include "lib/core/version.hpp"
#include "lib/io/h5.hpp"

namespace dgsim::io {
namespace {

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void check_size(const std::string& path, const char* what, size_t got, size_t want) {
  if (got != want)
    throw IoError(fmt::format("has {} values, expected {}", got, want), path, what);
}

void write_field_attrs(const Dataset& ds, bool time_varying) {
  ds.write_attr("sample_varying", true);
  ds.write_attr("time_varying", time_varying);
}

}  // namespace

void write_dataset(const std::string& path, const TrajectorySet& d, const VirtualSources* sources) {
  const auto nt = static_cast<std::uint64_t>(d.n_time());
  const auto ntraj = static_cast<std::uint64_t>(d.n_traj);
  const auto dim = static_cast<std::uint64_t>(d.dim);
  check_size(path, "t0_fields/u", d.u.size(), ntraj * nt * dim);
  check_size(path, "t0_fields/dudt", d.dudt.size(), ntraj * nt * dim);
  check_size(path, "diagnostics/energy", d.energy.size(), ntraj * nt);
  check_size(path, "trajectories/index", d.index.size(), ntraj);
  check_size(path, "trajectories/split", d.split.size(), ntraj);

  AtomicFile out(path);
  {
    File f = File::create(out.temp_path());
    const bool pde = d.n_spatial_dims > 0;

    // Root attributes (The Well) and provenance.
    f.write_attr("format", "dgsim-dataset");
    f.write_attr("format_version", kDatasetFormatVersion);
    f.write_attr("dataset_name", d.system);
    f.write_attr("system", d.system);
    f.write_attr("preset", d.preset);
    f.write_attr("grid_type", pde ? "cartesian" : "none");
    f.write_attr("n_spatial_dims", d.n_spatial_dims);
    f.write_attr("n_trajectories", static_cast<std::int64_t>(d.n_traj));
    f.write_attr("state_names", d.state_names);
    f.write_attr("dissipative", d.dissipative);
    f.write_attr("conserves_mass", d.has_mass);
    std::vector<std::string> pnames;
    for (const auto& [k, v] : d.params) {
      pnames.push_back(k);
      f.write_attr(k, v);
    }
    f.write_attr("simulation_parameters", pnames);
    f.write_attr("dgsim_version", version());
    f.write_attr("git_commit", git_commit());
    f.write_attr("blas", blas_kernel());
    f.write_attr("hdf5_version", hdf5_version());
    f.write_attr("created", utc_now());
    for (const auto& [k, v] : d.text_attrs) f.write_attr(k, v);
    for (const auto& [k, v] : d.number_attrs) f.write_attr(k, v);
    for (const auto& [k, v] : d.int_attrs) f.write_attr(k, v);

    // dimensions/: coordinates as HDF5 dimension scales.
    Group dims = f.create_group("dimensions");
    dims.write_attr("spatial_dims", pde ? std::vector<std::string>{"x"} : std::vector<std::string>{});
    Dataset time = dims.write("time", d.t);
    time.make_scale("time");
    time.write_attr("sample_varying", false);
    Dataset xs;
    if (pde) {
      xs = dims.write("x", d.x);
      xs.make_scale("x");
      xs.write_attr("sample_varying", false);
      xs.write_attr("time_varying", false);
      xs.write_attr("length", d.length);
    }

    // boundary_conditions/
    Group bcs = f.create_group("boundary_conditions");
    if (pde) {
      Group bc = bcs.create_group("x_periodic");
      bc.write_attr("associated_dims", std::vector<std::string>{"x"});
      bc.write_attr("bc_type", d.boundary == "periodic" ? "PERIODIC" : d.boundary);
      bc.write_attr("sample_varying", false);
      bc.write_attr("time_varying", false);
    }

    // scalars/: the physical parameters.
    Group scalars = f.create_group("scalars");
    scalars.write_attr("field_names", pnames);
    for (const auto& [k, v] : d.params) {
      Dataset s = scalars.write(k, &v, {});
      s.write_attr("sample_varying", false);
      s.write_attr("time_varying", false);
    }

    // t0_fields/: the state and its time derivative.
    Group fields = f.create_group("t0_fields");
    std::vector<std::string> field_names = {"u", "dudt"};
    if (!d.u_clean.empty()) field_names.push_back("u_clean");
    fields.write_attr("field_names", field_names);
    const Shape shape3 = {ntraj, nt, dim};
    const StoreOptions per_traj{1, 1, true};
    const char* axis2 = pde ? "x" : "component";
    // A per-trajectory array: copied, or virtual over the shards' arrays of the same name.
    auto store = [&](const Group& g, const std::string& name, const std::vector<double>& v, const Shape& shape) {
      if (!sources) return g.write(name, v.data(), shape, per_traj);
      std::vector<Shape> src_shapes;
      for (auto c : sources->counts) {
        Shape s = shape;
        s[0] = c;
        src_shapes.push_back(s);
      }
      return g.write_virtual(name, shape, sources->files, g.name() + "/" + name, sources->offsets, src_shapes);
    };
    auto write_field = [&](const std::string& name, const std::vector<double>& v, const std::string& desc) {
      Dataset ds = store(fields, name, v, shape3);
      write_field_attrs(ds, true);
      ds.write_attr("dim_varying", pde ? std::vector<std::string>{"x"} : std::vector<std::string>{});
      ds.write_attr("description", desc);
      ds.write_attr("state_names", d.state_names);
      ds.set_dim_label(0, "trajectory");
      ds.set_dim_label(1, "time");
      ds.set_dim_label(2, axis2);
      ds.attach_scale(time, 1);
      if (pde) ds.attach_scale(xs, 2);
    };
    write_field("u", d.u, d.u_clean.empty() ? "state" : "state with measurement noise");
    write_field("dudt", d.dudt, "true time derivative G grad H at the clean state");
    if (!d.u_clean.empty()) {
      check_size(path, "t0_fields/u_clean", d.u_clean.size(), ntraj * nt * dim);
      write_field("u_clean", d.u_clean, "state without noise");
    }

    // trajectories/: global index and split.
    Group trajs = f.create_group("trajectories");
    trajs.write("index", d.index.data(), {ntraj});
    Dataset split = trajs.write("split", d.split.data(), {ntraj});
    split.write_attr("labels", std::vector<std::string>{"train", "test"});
    if (!d.pair_split.empty()) {
      check_size(path, "trajectories/pair_split", d.pair_split.size(), ntraj * (nt - 1));
      Dataset ps = trajs.write("pair_split", d.pair_split.data(), {ntraj, nt - 1});
      ps.write_attr("labels", std::vector<std::string>{"train", "test"});
      ps.write_attr("description", "split of each consecutive pair (u_k, u_k+1); overrides split");
    }

    // structure/: G of u' = G grad H.
    Group structure = f.create_group("structure");
    RowMat g = d.G;
    structure.write("G", g.data(), {static_cast<std::uint64_t>(g.rows()), static_cast<std::uint64_t>(g.cols())});

    // diagnostics/: energy (and mass) per trajectory and time; solver statistics.
    Group diag = f.create_group("diagnostics");
    auto write_tt = [&](const std::string& name, const std::vector<double>& v, const std::string& desc) {
      Dataset ds = store(diag, name, v, {ntraj, nt});
      ds.write_attr("description", desc);
      ds.set_dim_label(0, "trajectory");
      ds.set_dim_label(1, "time");
      ds.attach_scale(time, 1);
    };
    write_tt("energy", d.energy, "H of the clean state");
    if (!d.mass.empty()) {
      check_size(path, "diagnostics/mass", d.mass.size(), ntraj * nt);
      write_tt("mass", d.mass, "mass: sum of u times dx");
    }
    auto write_stat = [&](const std::string& name, const std::vector<std::int64_t>& v) {
      if (!v.empty()) diag.write(name, v.data(), {ntraj});
    };
    write_stat("n_steps", d.n_steps);
    write_stat("n_rejected", d.n_rejected);
    write_stat("n_rhs", d.n_rhs);
    write_stat("n_newton", d.n_newton);
    if (!d.max_residual.empty()) diag.write("max_residual", d.max_residual.data(), {ntraj});
    f.flush();
  }
  out.commit();
}

TrajectorySet read_dataset(const std::string& path) {
  File f = File::open(path);
  if (!f.has_attr("format") || f.read_attr_string("format") != "dgsim-dataset")
    throw IoError("not a dgsim dataset file (root attribute 'format' missing or different)", path);
  TrajectorySet d;
  d.system = f.read_attr_string("system");
  d.preset = f.read_attr_string("preset");
  d.n_spatial_dims = static_cast<int>(f.read_attr_int("n_spatial_dims"));
  d.state_names = f.read_attr_strings("state_names");
  d.dissipative = f.read_attr_int("dissipative") != 0;
  d.has_mass = f.read_attr_int("conserves_mass") != 0;
  for (const auto& k : f.read_attr_strings("simulation_parameters")) d.params[k] = f.read_attr_double(k);

  Group dims = f.open_group("dimensions");
  d.t = dims.open_dataset("time").read().data;
  if (d.n_spatial_dims > 0) {
    Dataset xs = dims.open_dataset("x");
    d.x = xs.read().data;
    d.length = xs.read_attr_double("length");
    d.boundary = "periodic";
  }
  Group fields = f.open_group("t0_fields");
  Array u = fields.open_dataset("u").read();
  if (u.shape.size() != 3 || u.shape[1] != d.t.size())
    throw IoError("has an unexpected shape", path, "/t0_fields/u");
  d.n_traj = static_cast<long>(u.shape[0]);
  d.dim = static_cast<long>(u.shape[2]);
  d.u = std::move(u.data);
  d.dudt = fields.open_dataset("dudt").read().data;
  if (fields.exists("u_clean")) d.u_clean = fields.open_dataset("u_clean").read().data;

  Group trajs = f.open_group("trajectories");
  d.index = trajs.open_dataset("index").read_ints().data;
  d.split = trajs.open_dataset("split").read_ints().data;
  if (trajs.exists("pair_split")) d.pair_split = trajs.open_dataset("pair_split").read_ints().data;

  Array g = f.open_group("structure").open_dataset("G").read();
  d.G = Eigen::Map<RowMat>(g.data.data(), static_cast<long>(g.shape[0]), static_cast<long>(g.shape[1]));

  Group diag = f.open_group("diagnostics");
  d.energy = diag.open_dataset("energy").read().data;
  if (diag.exists("mass")) d.mass = diag.open_dataset("mass").read().data;
  auto read_stat = [&](const char* name, std::vector<std::int64_t>& v) {
    if (diag.exists(name)) v = diag.open_dataset(name).read_ints().data;
  };
  read_stat("n_steps", d.n_steps);
  read_stat("n_rejected", d.n_rejected);
  read_stat("n_rhs", d.n_rhs);
  read_stat("n_newton", d.n_newton);
  if (diag.exists("max_residual")) d.max_residual = diag.open_dataset("max_residual").read().data;

  // Every root attribute as text; those write_dataset does not write itself come back typed.
  static const std::set<std::string> structural = {
      "format", "format_version", "dataset_name", "system", "preset", "grid_type", "n_spatial_dims",
      "n_trajectories", "state_names", "dissipative", "conserves_mass", "simulation_parameters",
      "dgsim_version", "git_commit", "blas", "hdf5_version", "created"};
  for (const auto& k : f.attr_names()) {
    d.all_attrs[k] = f.attr_as_text(k);
    if (d.params.count(k) || structural.count(k)) continue;
    switch (f.attr_kind(k)) {
      case Object::AttrKind::string: d.text_attrs[k] = f.read_attr_string(k); break;
      case Object::AttrKind::integer: d.int_attrs[k] = f.read_attr_int(k); break;
      case Object::AttrKind::floating: d.number_attrs[k] = f.read_attr_double(k); break;
      default: break;
    }
  }
  const size_t n = static_cast<size_t>(d.n_traj) * d.t.size();
  if (d.dudt.size() != n * static_cast<size_t>(d.dim) || d.energy.size() != n || d.index.size() != static_cast<size_t>(d.n_traj))
    throw IoError("inconsistent array sizes", path);
  return d;
}

TrajectorySet merge_shards(const std::vector<std::string>& paths, std::vector<ShardBlock>* layout) {
  if (paths.empty()) throw ConfigError("no shard files given");
  std::vector<TrajectorySet> shards;
  for (const auto& p : paths) shards.push_back(read_dataset(p));
  // Everything that defines the data must agree; provenance (time, command line) may differ.
  static const char* const keys[] = {"system", "preset", "integrator", "dg_method", "rtol", "atol", "noise", "dt",
                                     "t_end", "n_steps", "substeps", "seed", "n_total_trajectories", "n_train",
                                     "n_shards", "format_version", "dgsim_version"};
  const TrajectorySet& ref = shards.front();
  for (size_t i = 1; i < shards.size(); ++i) {
    for (const char* k : keys) {
      auto get = [k](const TrajectorySet& t) {
        const auto it = t.all_attrs.find(k);
        return it == t.all_attrs.end() ? std::string("(none)") : it->second;
      };
      const std::string va = get(ref), vb = get(shards[i]);
      if (va != vb)
        throw IoError(fmt::format("differs from {} in '{}' ({} vs {}): not a shard of the same run", paths[0], k, vb, va),
                      paths[i]);
    }
    if (shards[i].params != ref.params) throw IoError(fmt::format("differs from {} in its parameters", paths[0]), paths[i]);
    if (shards[i].t != ref.t || shards[i].dim != ref.dim)
      throw IoError(fmt::format("differs from {} in its time grid or state size", paths[0]), paths[i]);
  }
  const long total = static_cast<long>(ref.int_attrs.at("n_total_trajectories"));
  std::vector<int> seen(static_cast<size_t>(total), -1);
  for (size_t i = 0; i < shards.size(); ++i) {
    for (auto idx : shards[i].index) {
      if (idx < 0 || idx >= total)
        throw IoError(fmt::format("trajectory index {} outside 0..{}", idx, total - 1), paths[i]);
      if (seen[static_cast<size_t>(idx)] >= 0)
        throw IoError(fmt::format("trajectory {} is also in {}", idx, paths[static_cast<size_t>(seen[static_cast<size_t>(idx)])]),
                      paths[i]);
      seen[static_cast<size_t>(idx)] = static_cast<int>(i);
    }
  }
  for (long idx = 0; idx < total; ++idx)
    if (seen[static_cast<size_t>(idx)] < 0)
      throw IoError(fmt::format("no shard holds trajectory {} (of {})", idx, total), paths[0]);

  // Shards are contiguous blocks: order them by first index and concatenate.
  std::vector<size_t> ord(shards.size());
  for (size_t i = 0; i < ord.size(); ++i) ord[i] = i;
  std::sort(ord.begin(), ord.end(), [&](size_t a, size_t b) { return shards[a].index.front() < shards[b].index.front(); });
  TrajectorySet m = ref;
  auto clear_all = [](TrajectorySet& s) {
    s.u.clear(); s.dudt.clear(); s.u_clean.clear(); s.energy.clear(); s.mass.clear(); s.index.clear(); s.split.clear();
    s.n_steps.clear(); s.n_rejected.clear(); s.n_rhs.clear(); s.n_newton.clear(); s.max_residual.clear();
  };
  clear_all(m);
  auto append = [](auto& dst, const auto& src) { dst.insert(dst.end(), src.begin(), src.end()); };
  for (size_t i : ord) {
    const TrajectorySet& s = shards[i];
    append(m.u, s.u); append(m.dudt, s.dudt); append(m.u_clean, s.u_clean); append(m.energy, s.energy);
    append(m.mass, s.mass); append(m.index, s.index); append(m.split, s.split); append(m.n_steps, s.n_steps);
    append(m.n_rejected, s.n_rejected); append(m.n_rhs, s.n_rhs); append(m.n_newton, s.n_newton);
    append(m.max_residual, s.max_residual);
  }
  m.n_traj = total;
  for (long idx = 0; idx < total; ++idx)
    if (m.index[static_cast<size_t>(idx)] != idx)
      throw IoError("shards are not contiguous blocks of trajectories (written by an older dgsim?)", paths[0]);
  m.int_attrs["shard"] = 0;
  m.int_attrs["n_shards"] = 1;
  m.all_attrs.clear();
  if (layout) {
    layout->clear();
    std::uint64_t first = 0;
    for (size_t i : ord) {
      const auto count = static_cast<std::uint64_t>(shards[i].n_traj);
      layout->push_back({paths[i], first, count});
      first += count;
    }
  }
  return m;
}

}  // namespace dgsim::io
