#include "lib/nn/model_file.hpp"

#include "lib/core/atomic_file.hpp"
#include "lib/core/error.hpp"
#include "lib/core/version.hpp"
#include "lib/io/h5.hpp"

namespace dgsim::nn {
namespace {

// Writes `m` at a slash-separated path below `root`, creating the groups on the way.
void write_array(const io::Group& root, const std::string& path, const Mat& m) {
  const auto slash = path.rfind('/');
  const RowMat row_major = m;
  const io::Shape shape = {static_cast<std::uint64_t>(m.rows()), static_cast<std::uint64_t>(m.cols())};
  if (slash == std::string::npos) {
    root.write(path, row_major.data(), shape);
    return;
  }
  io::Group g = root.require_group(path.substr(0, path.find('/')));
  write_array(g, path.substr(path.find('/') + 1), m);
}

Mat read_matrix(const io::Dataset& ds) {
  const io::Array a = ds.read();
  if (a.shape.size() != 2) throw IoError("expected a 2-D array", ds.file_path(), ds.name());
  return Eigen::Map<const RowMat>(a.data.data(), static_cast<long>(a.shape[0]), static_cast<long>(a.shape[1]));
}

void read_arrays(const io::Group& g, const std::string& prefix, std::vector<std::pair<std::string, Mat>>& out) {
  for (const auto& name : g.children()) {
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    if (g.is_group(name)) read_arrays(g.open_group(name), path, out);
    else out.emplace_back(path, read_matrix(g.open_dataset(name)));
  }
}

void write_attrs(const io::Object& o, const std::map<std::string, Attribute>& attrs) {
  for (const auto& [k, v] : attrs) std::visit([&, key = k](const auto& x) { o.write_attr(key, x); }, v);
}

}  // namespace

void write_model_file(const std::string& path, const ModelFile& file) {
  AtomicFile out(path);
  {
    io::File f = io::File::create(out.temp_path());
    write_attrs(f, file.state.attributes);
    for (const auto& [name, m] : file.state.arrays) write_array(f, name, m);
    io::Group info = f.create_group("info");
    info.write_attr("dgsim_version", version());
    info.write_attr("git_commit", git_commit());
    info.write_attr("blas", blas_kernel());
    info.write_attr("hdf5_version", io::hdf5_version());
    for (const auto& [k, v] : file.info_text) info.write_attr(k, v);
    for (const auto& [k, v] : file.info_numbers) info.write_attr(k, v);
    for (const auto& [k, v] : file.info_ints) info.write_attr(k, v);
    for (const auto& [name, m] : file.extra) write_array(f, name, m);
    f.flush();
  }
  out.commit();
}

ModelFile read_model_file(const std::string& path) {
  io::File f = io::File::open(path);
  if (!f.has_attr("format") || f.read_attr_string("format") != "dgsim-model")
    throw IoError("not a dgsim model file (root attribute 'format' missing or different)", path);
  ModelFile m;
  for (const auto& k : f.attr_names()) {
    switch (f.attr_kind(k)) {
      case io::Object::AttrKind::string: m.state.attributes[k] = f.read_attr_string(k); break;
      case io::Object::AttrKind::integer: m.state.attributes[k] = f.read_attr_int(k); break;
      case io::Object::AttrKind::floating: m.state.attributes[k] = f.read_attr_double(k); break;
      default: throw IoError("attribute of an unsupported type", path, k);
    }
  }
  for (const char* group : {"params", "adam"})
    if (f.exists(group)) read_arrays(f.open_group(group), group, m.state.arrays);
  if (f.exists("info")) {
    io::Group info = f.open_group("info");
    for (const auto& k : info.attr_names()) {
      switch (info.attr_kind(k)) {
        case io::Object::AttrKind::string: m.info_text[k] = info.read_attr_string(k); break;
        case io::Object::AttrKind::integer: m.info_ints[k] = info.read_attr_int(k); break;
        case io::Object::AttrKind::floating: m.info_numbers[k] = info.read_attr_double(k); break;
        default: break;
      }
    }
  }
  for (const auto& name : f.children())
    if (name != "params" && name != "adam" && name != "info" && f.is_group(name))
      read_arrays(f.open_group(name), name, m.extra);
  return m;
}

}  // namespace dgsim::nn
