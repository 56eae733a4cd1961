#pragma once
// A small RAII layer over the HDF5 C API. No dgsim header includes hdf5.h: handles are
// held as plain integers (hid_t is a 64-bit integer in HDF5 >= 1.10). Every call is checked;
// failures throw IoError with the file path and the object name. HDF5's own error printing
// is turned off. HDF5 is not thread-safe here: use it from one thread.
//
//   auto f = dgsim::io::File::create("out.h5");
//   f.write_attr("dataset_name", "kdv");
//   f.create_group("t0_fields").write("u", data.data(), {n_traj, n_time, n_x}, {.chunk0 = 1});

#include <cstdint>
#include <string>
#include <vector>

namespace dgsim::io {

using Shape = std::vector<std::uint64_t>;

// How a dataset is stored: chunks of `chunk0` entries along axis 0 (e.g. one trajectory),
// gzip level (0 = none) and the shuffle filter.
struct StoreOptions {
  std::uint64_t chunk0 = 0;  // 0: contiguous, no compression
  int gzip = 4;
  bool shuffle = true;
};

struct Array {
  Shape shape;
  std::vector<double> data;  // row-major
  std::uint64_t size() const;
};

struct IntArray {
  Shape shape;
  std::vector<std::int64_t> data;
};

class Object {
 public:
  Object() = default;
  Object(std::int64_t id, std::string path, std::string name);
  ~Object();
  Object(Object&& other) noexcept;
  Object& operator=(Object&& other) noexcept;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  std::int64_t id() const { return id_; }
  const std::string& file_path() const { return path_; }
  const std::string& name() const { return name_; }

  // Attributes (on a group, file or dataset). Overwrites an existing attribute.
  void write_attr(const std::string& key, double value) const;
  void write_attr(const std::string& key, std::int64_t value) const;
  void write_attr(const std::string& key, int value) const { write_attr(key, static_cast<std::int64_t>(value)); }
  void write_attr(const std::string& key, bool value) const { write_attr(key, static_cast<std::int64_t>(value)); }
  void write_attr(const std::string& key, const std::string& value) const;
  void write_attr(const std::string& key, const char* value) const { write_attr(key, std::string(value)); }
  void write_attr(const std::string& key, const std::vector<std::string>& values) const;
  void write_attr(const std::string& key, const std::vector<double>& values) const;

  bool has_attr(const std::string& key) const;
  std::vector<std::string> attr_names() const;
  double read_attr_double(const std::string& key) const;   // also converts integer attributes
  std::int64_t read_attr_int(const std::string& key) const;
  std::string read_attr_string(const std::string& key) const;
  std::vector<std::string> read_attr_strings(const std::string& key) const;
  std::vector<double> read_attr_doubles(const std::string& key) const;
  enum class AttrKind { string, integer, floating, other };
  AttrKind attr_kind(const std::string& key) const;
  // Attribute rendered as text, whatever its type (for `dgsim inspect`).
  std::string attr_as_text(const std::string& key) const;

 protected:
  void close() noexcept;
  std::int64_t id_ = -1;
  std::string path_;
  std::string name_;
};

class Dataset : public Object {
 public:
  using Object::Object;
  Shape shape() const;
  Array read() const;  // float64 (converted from any numeric type)
  IntArray read_ints() const;
  // Reads entries [offset, offset + count) along axis 0 (e.g. one trajectory).
  Array read_rows(std::uint64_t offset, std::uint64_t count) const;
  // Makes this dataset a dimension scale named `label` (for xarray/netCDF tools).
  void make_scale(const std::string& label) const;
  // Attaches `scale` as the dimension scale of axis `axis` of this dataset.
  void attach_scale(const Dataset& scale, unsigned axis) const;
  void set_dim_label(unsigned axis, const std::string& label) const;
};

class Group : public Object {
 public:
  using Object::Object;
  Group create_group(const std::string& name) const;
  Group open_group(const std::string& name) const;
  Group require_group(const std::string& name) const;  // open or create
  bool exists(const std::string& name) const;  // a link of this name (a path with '/' is fine)
  std::vector<std::string> children() const;   // names of the members, sorted
  bool is_group(const std::string& name) const;

  Dataset write(const std::string& name, const double* data, const Shape& shape, const StoreOptions& opt = {}) const;
  Dataset write(const std::string& name, const std::int64_t* data, const Shape& shape, const StoreOptions& opt = {}) const;
  Dataset write(const std::string& name, const std::vector<double>& values) const;  // 1-D
  Dataset write_strings(const std::string& name, const std::vector<std::string>& values) const;
  Dataset open_dataset(const std::string& name) const;

  // A virtual dataset `name` of the given shape whose rows [offset_i, offset_i + rows_i) along
  // axis 0 come from dataset `source_name` in file `source_file_i` (rows_i = its axis-0 size).
  Dataset write_virtual(const std::string& name, const Shape& shape,
                        const std::vector<std::string>& source_files, const std::string& source_name,
                        const std::vector<std::uint64_t>& offsets, const std::vector<Shape>& source_shapes) const;
};

class File : public Group {
 public:
  using Group::Group;
  static File create(const std::string& path);  // truncates
  static File open(const std::string& path);    // read-only; checks that it is HDF5
  static File open_rw(const std::string& path);
  void flush() const;
};

std::string hdf5_version();

}  // namespace dgsim::io
