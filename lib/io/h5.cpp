#include "lib/io/h5.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <zlib.h>
#include <fmt/format.h>
#include <utility>

#include "lib/core/error.hpp"

namespace dgsim::io {
namespace {

// Turn off HDF5's automatic error printing once; errors are reported as IoError.
struct SilenceHdf5 {
  SilenceHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const SilenceHdf5 g_silence;

// Closes a temporary HDF5 handle (type, space, property list, attribute) on scope exit.
class Tmp {
 public:
  Tmp(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  ~Tmp() {
    if (id_ >= 0) closer_(id_);
  }
  Tmp(const Tmp&) = delete;
  Tmp& operator=(const Tmp&) = delete;
  operator hid_t() const { return id_; }  // NOLINT: used as a plain handle in C calls
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

[[noreturn]] void fail(const Object& o, const std::string& what, const std::string& object = {}) {
  throw IoError(what, o.file_path(), object.empty() ? o.name() : object);
}

std::string join(const std::string& base, const std::string& child) {
  if (base.empty() || base == "/") return "/" + child;
  return base + "/" + child;
}

hid_t checked(hid_t id, const Object& o, const std::string& what, const std::string& object) {
  if (id < 0) fail(o, what, object);
  return id;
}

Tmp string_type() {
  Tmp t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return Tmp(H5Tcopy(t), H5Tclose);
}

Tmp attr_for_write(const Object& o, const std::string& key, hid_t type, hid_t space) {
  if (H5Aexists(o.id(), key.c_str()) > 0) H5Adelete(o.id(), key.c_str());
  Tmp a(H5Acreate2(o.id(), key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.ok()) fail(o, "cannot create attribute", o.name() + "@" + key);
  return Tmp(H5Aopen(o.id(), key.c_str(), H5P_DEFAULT), H5Aclose);
}

Tmp attr_for_read(const Object& o, const std::string& key) {
  if (H5Aexists(o.id(), key.c_str()) <= 0) fail(o, "missing attribute", o.name() + "@" + key);
  Tmp a(H5Aopen(o.id(), key.c_str(), H5P_DEFAULT), H5Aclose);
  if (!a.ok()) fail(o, "cannot open attribute", o.name() + "@" + key);
  return Tmp(H5Aopen(o.id(), key.c_str(), H5P_DEFAULT), H5Aclose);
}

std::uint64_t n_points(hid_t space) {
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  return n < 0 ? 0 : static_cast<std::uint64_t>(n);
}

std::vector<std::string> read_strings_from(hid_t obj, hid_t space, hid_t file_type, bool is_attr,
                                           const Object& o, const std::string& what) {
  const auto n = n_points(space);
  std::vector<std::string> out;
  if (H5Tget_class(file_type) != H5T_STRING) fail(o, "is not a string", what);
  if (n == 0) return out;  // an empty list (e.g. an ODE dataset's spatial_dims): nothing to read
  if (H5Tis_variable_str(file_type) > 0) {
    std::vector<char*> ptrs(n, nullptr);
    Tmp mem = string_type();
    const herr_t rc = is_attr ? H5Aread(obj, mem, ptrs.data())
                              : H5Dread(obj, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data());
    if (rc < 0) fail(o, "cannot read strings", what);
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mem, space, H5P_DEFAULT, ptrs.data());
  } else {
    const size_t len = H5Tget_size(file_type);
    std::vector<char> buf(n * len + 1, '\0');
    Tmp mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem, len);
    const herr_t rc = is_attr ? H5Aread(obj, mem, buf.data())
                              : H5Dread(obj, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    if (rc < 0) fail(o, "cannot read strings", what);
    for (std::uint64_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * len, len);
      s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace

std::uint64_t Array::size() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

// ---------------------------------------------------------------- Object

Object::Object(std::int64_t id, std::string path, std::string name)
    : id_(id), path_(std::move(path)), name_(std::move(name)) {}

Object::~Object() { close(); }

Object::Object(Object&& other) noexcept
    : id_(std::exchange(other.id_, -1)), path_(std::move(other.path_)), name_(std::move(other.name_)) {}

Object& Object::operator=(Object&& other) noexcept {
  if (this != &other) {
    close();
    id_ = std::exchange(other.id_, -1);
    path_ = std::move(other.path_);
    name_ = std::move(other.name_);
  }
  return *this;
}

void Object::close() noexcept {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    default: H5Oclose(id_); break;
  }
  id_ = -1;
}

void Object::write_attr(const std::string& key, double value) const {
  Tmp space(H5Screate(H5S_SCALAR), H5Sclose);
  Tmp a = attr_for_write(*this, key, H5T_IEEE_F64LE, space);
  if (H5Awrite(a, H5T_NATIVE_DOUBLE, &value) < 0) fail(*this, "cannot write attribute", name_ + "@" + key);
}

void Object::write_attr(const std::string& key, std::int64_t value) const {
  Tmp space(H5Screate(H5S_SCALAR), H5Sclose);
  Tmp a = attr_for_write(*this, key, H5T_STD_I64LE, space);
  if (H5Awrite(a, H5T_NATIVE_INT64, &value) < 0) fail(*this, "cannot write attribute", name_ + "@" + key);
}

void Object::write_attr(const std::string& key, const std::string& value) const {
  Tmp space(H5Screate(H5S_SCALAR), H5Sclose);
  Tmp type = string_type();
  Tmp a = attr_for_write(*this, key, type, space);
  const char* p = value.c_str();
  if (H5Awrite(a, type, &p) < 0) fail(*this, "cannot write attribute", name_ + "@" + key);
}

void Object::write_attr(const std::string& key, const std::vector<std::string>& values) const {
  const hsize_t n = values.size();
  Tmp space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Tmp type = string_type();
  Tmp a = attr_for_write(*this, key, type, space);
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (n > 0 && H5Awrite(a, type, ptrs.data()) < 0) fail(*this, "cannot write attribute", name_ + "@" + key);
}

void Object::write_attr(const std::string& key, const std::vector<double>& values) const {
  const hsize_t n = values.size();
  Tmp space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Tmp a = attr_for_write(*this, key, H5T_IEEE_F64LE, space);
  if (n > 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, values.data()) < 0)
    fail(*this, "cannot write attribute", name_ + "@" + key);
}

bool Object::has_attr(const std::string& key) const { return H5Aexists(id_, key.c_str()) > 0; }

std::vector<std::string> Object::attr_names() const {
  std::vector<std::string> names;
  H5O_info_t info;
  if (H5Oget_info2(id_, &info, H5O_INFO_NUM_ATTRS) < 0) fail(*this, "cannot list attributes");
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    const ssize_t len = H5Aget_name_by_idx(id_, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail(*this, "cannot list attributes");
    std::string s(static_cast<size_t>(len) + 1, '\0');
    H5Aget_name_by_idx(id_, ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size(), H5P_DEFAULT);
    s.resize(static_cast<size_t>(len));
    names.push_back(s);
  }
  return names;
}

double Object::read_attr_double(const std::string& key) const {
  auto v = read_attr_doubles(key);
  if (v.size() != 1) fail(*this, "is not a scalar", name_ + "@" + key);
  return v[0];
}

std::int64_t Object::read_attr_int(const std::string& key) const {
  Tmp a = attr_for_read(*this, key);
  Tmp type(H5Aget_type(a), H5Tclose);
  Tmp space(H5Aget_space(a), H5Sclose);
  if (H5Tget_class(type) != H5T_INTEGER || n_points(space) != 1)
    fail(*this, "is not an integer scalar", name_ + "@" + key);
  std::int64_t v = 0;
  if (H5Aread(a, H5T_NATIVE_INT64, &v) < 0) fail(*this, "cannot read attribute", name_ + "@" + key);
  return v;
}

std::vector<double> Object::read_attr_doubles(const std::string& key) const {
  Tmp a = attr_for_read(*this, key);
  Tmp type(H5Aget_type(a), H5Tclose);
  const auto cls = H5Tget_class(type);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) fail(*this, "is not numeric", name_ + "@" + key);
  Tmp space(H5Aget_space(a), H5Sclose);
  std::vector<double> v(n_points(space));
  if (H5Aread(a, H5T_NATIVE_DOUBLE, v.data()) < 0) fail(*this, "cannot read attribute", name_ + "@" + key);
  return v;
}

std::string Object::read_attr_string(const std::string& key) const {
  auto v = read_attr_strings(key);
  if (v.size() != 1) fail(*this, "is not a single string", name_ + "@" + key);
  return v[0];
}

std::vector<std::string> Object::read_attr_strings(const std::string& key) const {
  Tmp a = attr_for_read(*this, key);
  Tmp type(H5Aget_type(a), H5Tclose);
  Tmp space(H5Aget_space(a), H5Sclose);
  return read_strings_from(a, space, type, true, *this, name_ + "@" + key);
}

Object::AttrKind Object::attr_kind(const std::string& key) const {
  Tmp a = attr_for_read(*this, key);
  Tmp type(H5Aget_type(a), H5Tclose);
  switch (H5Tget_class(type)) {
    case H5T_STRING: return AttrKind::string;
    case H5T_INTEGER: return AttrKind::integer;
    case H5T_FLOAT: return AttrKind::floating;
    default: return AttrKind::other;
  }
}

std::string Object::attr_as_text(const std::string& key) const {
  Tmp a = attr_for_read(*this, key);
  Tmp type(H5Aget_type(a), H5Tclose);
  const auto cls = H5Tget_class(type);
  if (cls == H5T_STRING) {
    auto v = read_attr_strings(key);
    return v.size() == 1 ? v[0] : fmt::format("[{}]", fmt::join(v, ", "));
  }
  if (cls == H5T_INTEGER) {
    Tmp space(H5Aget_space(a), H5Sclose);
    std::vector<std::int64_t> v(n_points(space));
    H5Aread(a, H5T_NATIVE_INT64, v.data());
    return v.size() == 1 ? fmt::format("{}", v[0]) : fmt::format("[{}]", fmt::join(v, ", "));
  }
  if (cls == H5T_FLOAT) {
    auto v = read_attr_doubles(key);
    return v.size() == 1 ? fmt::format("{:.17g}", v[0]) : fmt::format("[{:.17g}]", fmt::join(v, ", "));
  }
  return "(unsupported type)";
}

// ---------------------------------------------------------------- Dataset

Shape Dataset::shape() const {
  Tmp space(H5Dget_space(id_), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail(*this, "cannot read shape");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

Array Dataset::read() const {
  Array out;
  out.shape = shape();
  Tmp type(H5Dget_type(id_), H5Tclose);
  const auto cls = H5Tget_class(type);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) fail(*this, "is not numeric");
  out.data.resize(out.size());
  if (H5Dread(id_, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data.data()) < 0)
    fail(*this, "cannot read data (file truncated or corrupt?)");
  return out;
}

IntArray Dataset::read_ints() const {
  IntArray out;
  out.shape = shape();
  std::uint64_t n = 1;
  for (auto d : out.shape) n *= d;
  out.data.resize(n);
  Tmp type(H5Dget_type(id_), H5Tclose);
  if (H5Tget_class(type) != H5T_INTEGER) fail(*this, "is not an integer dataset");
  if (H5Dread(id_, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data.data()) < 0)
    fail(*this, "cannot read data (file truncated or corrupt?)");
  return out;
}

Array Dataset::read_rows(std::uint64_t offset, std::uint64_t count) const {
  Array out;
  out.shape = shape();
  if (out.shape.empty() || offset + count > out.shape[0]) fail(*this, "row range out of bounds");
  Tmp fspace(H5Dget_space(id_), H5Sclose);
  std::vector<hsize_t> start(out.shape.size(), 0), cnt(out.shape.begin(), out.shape.end());
  start[0] = offset;
  cnt[0] = count;
  H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr);
  Tmp mspace(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), H5Sclose);
  out.shape[0] = count;
  out.data.resize(out.size());
  if (H5Dread(id_, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, out.data.data()) < 0)
    fail(*this, "cannot read data (file truncated or corrupt?)");
  return out;
}

void Dataset::make_scale(const std::string& label) const {
  if (H5DSset_scale(id_, label.c_str()) < 0) fail(*this, "cannot make dimension scale");
}

void Dataset::attach_scale(const Dataset& scale, unsigned axis) const {
  if (H5DSattach_scale(id_, scale.id(), axis) < 0) fail(*this, "cannot attach dimension scale " + scale.name());
}

void Dataset::set_dim_label(unsigned axis, const std::string& label) const {
  if (H5DSset_label(id_, axis, label.c_str()) < 0) fail(*this, "cannot label dimension");
}

// ---------------------------------------------------------------- Group

Group Group::create_group(const std::string& name) const {
  const std::string full = join(name_, name);
  hid_t g = H5Gcreate2(id_, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  return Group(checked(g, *this, "cannot create group", full), path_, full);
}

Group Group::open_group(const std::string& name) const {
  const std::string full = join(name_, name);
  if (!exists(name)) fail(*this, "missing group", full);
  hid_t g = H5Gopen2(id_, name.c_str(), H5P_DEFAULT);
  return Group(checked(g, *this, "cannot open group", full), path_, full);
}

Group Group::require_group(const std::string& name) const {
  return exists(name) ? open_group(name) : create_group(name);
}

bool Group::exists(const std::string& name) const {
  // Check each prefix: H5Lexists fails on a path whose intermediate link is missing.
  std::string prefix;
  size_t pos = 0;
  while (true) {
    const size_t next = name.find('/', pos);
    prefix = name.substr(0, next);
    if (!prefix.empty() && H5Lexists(id_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (next == std::string::npos) return true;
    pos = next + 1;
  }
}

std::vector<std::string> Group::children() const {
  std::vector<std::string> names;
  H5G_info_t info;
  if (H5Gget_info(id_, &info) < 0) fail(*this, "cannot list group");
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(id_, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail(*this, "cannot list group");
    std::string s(static_cast<size_t>(len) + 1, '\0');
    H5Lget_name_by_idx(id_, ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size(), H5P_DEFAULT);
    s.resize(static_cast<size_t>(len));
    names.push_back(s);
  }
  return names;
}

bool Group::is_group(const std::string& name) const {
  if (!exists(name)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name2(id_, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_GROUP;
}

namespace {
// Compresses the chunks of a row-major array of 8-byte little-endian elements (as the HDF5
// shuffle + deflate filters would) on several threads and stores them with H5Dwrite_chunk:
// HDF5 runs its filters on one thread, which made gzip the slowest part of a dataset write.
// Chunks are whole rows along axis 0 ([chunk0, rest...]); a partial last chunk is zero-padded
// as HDF5 stores it. Readers see an ordinary shuffle + gzip dataset.
void write_chunks_parallel(const Dataset& ds, const unsigned char* data, const Shape& shape, const StoreOptions& opt) {
  constexpr size_t elem = 8;
  std::uint64_t row = 1;  // elements per row of axis 0
  for (size_t i = 1; i < shape.size(); ++i) row *= shape[i];
  const std::uint64_t rows = shape[0];
  const std::uint64_t chunk_rows = std::min<std::uint64_t>(opt.chunk0, rows);
  const std::uint64_t n_chunks = (rows + chunk_rows - 1) / chunk_rows;
  const size_t chunk_elems = static_cast<size_t>(chunk_rows * row);
  const size_t chunk_bytes = chunk_elems * elem;
  std::vector<std::vector<unsigned char>> out(n_chunks);
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    std::vector<unsigned char> raw(chunk_bytes), shuffled(chunk_bytes);
    for (std::uint64_t c = next++; c < n_chunks && !failed; c = next++) {
      const std::uint64_t r0 = c * chunk_rows;
      const size_t n_rows = static_cast<size_t>(std::min(chunk_rows, rows - r0));
      std::fill(raw.begin(), raw.end(), 0);
      std::memcpy(raw.data(), data + r0 * row * elem, n_rows * row * elem);
      const unsigned char* src = raw.data();
      if (opt.shuffle) {  // byte j of element i goes to j * n + i
        for (size_t i = 0; i < chunk_elems; ++i)
          for (size_t j = 0; j < elem; ++j) shuffled[j * chunk_elems + i] = raw[i * elem + j];
        src = shuffled.data();
      }
      uLongf size = compressBound(static_cast<uLong>(chunk_bytes));
      out[c].resize(size);
      if (compress2(out[c].data(), &size, src, static_cast<uLong>(chunk_bytes), opt.gzip) != Z_OK) failed = true;
      out[c].resize(size);
    }
  };
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const unsigned n_threads = static_cast<unsigned>(std::min<std::uint64_t>(hw, n_chunks));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n_threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failed) throw IoError("cannot compress data", ds.file_path(), ds.name());
  std::vector<hsize_t> offset(shape.size(), 0);
  for (std::uint64_t c = 0; c < n_chunks; ++c) {
    offset[0] = c * chunk_rows;
    if (H5Dwrite_chunk(ds.id(), H5P_DEFAULT, 0, offset.data(), out[c].size(), out[c].data()) < 0)
      throw IoError("cannot write dataset chunk", ds.file_path(), ds.name());
  }
}

Dataset write_numeric(const Group& g, const std::string& name, const void* data, const Shape& shape,
                      const StoreOptions& opt, hid_t file_type, hid_t mem_type) {
  const std::string full = join(g.name(), name);
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Tmp space(dims.empty() ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
            H5Sclose);
  Tmp dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  std::uint64_t total = 1;
  for (auto d : shape) total *= d;
  const bool chunked = opt.chunk0 > 0 && !dims.empty() && total > 0;
  if (chunked) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = std::min<hsize_t>(opt.chunk0, dims[0]);
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    if (opt.shuffle) H5Pset_shuffle(dcpl);
    if (opt.gzip > 0) H5Pset_deflate(dcpl, static_cast<unsigned>(opt.gzip));
  }
  hid_t d = H5Dcreate2(g.id(), name.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  Dataset ds(checked(d, g, "cannot create dataset", full), g.file_path(), full);
  // Both element types here are 8-byte little-endian on disk: the host's bytes are the file's.
  static_assert(sizeof(double) == 8 && sizeof(std::int64_t) == 8, "8-byte elements");
  constexpr bool little_endian_host = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
  if (chunked && opt.gzip > 0 && little_endian_host) {
    write_chunks_parallel(ds, static_cast<const unsigned char*>(data), shape, opt);
  } else if (total > 0 && H5Dwrite(ds.id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    throw IoError("cannot write dataset", g.file_path(), full);
  }
  return ds;
}
}  // namespace

Dataset Group::write(const std::string& name, const double* data, const Shape& shape, const StoreOptions& opt) const {
  return write_numeric(*this, name, data, shape, opt, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
}

Dataset Group::write(const std::string& name, const std::int64_t* data, const Shape& shape,
                     const StoreOptions& opt) const {
  return write_numeric(*this, name, data, shape, opt, H5T_STD_I64LE, H5T_NATIVE_INT64);
}

Dataset Group::write(const std::string& name, const std::vector<double>& values) const {
  return write(name, values.data(), {values.size()});
}

Dataset Group::write_strings(const std::string& name, const std::vector<std::string>& values) const {
  const std::string full = join(name_, name);
  const hsize_t n = values.size();
  Tmp space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Tmp type = string_type();
  hid_t d = H5Dcreate2(id_, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  Dataset ds(checked(d, *this, "cannot create dataset", full), path_, full);
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (n > 0 && H5Dwrite(ds.id(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
    fail(*this, "cannot write dataset", full);
  return ds;
}

Dataset Group::open_dataset(const std::string& name) const {
  const std::string full = join(name_, name);
  if (!exists(name)) fail(*this, "missing dataset", full);
  hid_t d = H5Dopen2(id_, name.c_str(), H5P_DEFAULT);
  return Dataset(checked(d, *this, "cannot open dataset", full), path_, full);
}

Dataset Group::write_virtual(const std::string& name, const Shape& shape, const std::vector<std::string>& source_files,
                             const std::string& source_name, const std::vector<std::uint64_t>& offsets,
                             const std::vector<Shape>& source_shapes) const {
  const std::string full = join(name_, name);
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Tmp vspace(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Tmp dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  for (size_t i = 0; i < source_files.size(); ++i) {
    std::vector<hsize_t> sdims(source_shapes[i].begin(), source_shapes[i].end());
    Tmp sspace(H5Screate_simple(static_cast<int>(sdims.size()), sdims.data(), nullptr), H5Sclose);
    std::vector<hsize_t> start(dims.size(), 0);
    start[0] = offsets[i];
    H5Sselect_hyperslab(vspace, H5S_SELECT_SET, start.data(), nullptr, sdims.data(), nullptr);
    if (H5Pset_virtual(dcpl, vspace, source_files[i].c_str(), source_name.c_str(), sspace) < 0)
      fail(*this, "cannot map virtual dataset source " + source_files[i], full);
  }
  H5Sselect_all(vspace);
  hid_t d = H5Dcreate2(id_, name.c_str(), H5T_IEEE_F64LE, vspace, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  return Dataset(checked(d, *this, "cannot create virtual dataset", full), path_, full);
}

// ---------------------------------------------------------------- File

File File::create(const std::string& path) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) throw IoError("cannot create HDF5 file", path);
  return File(f, path, "/");
}

File File::open(const std::string& path) {
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw IoError("cannot open: missing, unreadable or not an HDF5 file", path);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) throw IoError("cannot open HDF5 file (truncated or corrupt?)", path);
  return File(f, path, "/");
}

File File::open_rw(const std::string& path) {
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) throw IoError("cannot open HDF5 file for writing", path);
  return File(f, path, "/");
}

void File::flush() const {
  if (H5Fflush(id_, H5F_SCOPE_GLOBAL) < 0) throw IoError("cannot flush", path_);
}

std::string hdf5_version() {
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  return fmt::format("{}.{}.{}", maj, min, rel);
}

}  // namespace dgsim::io
