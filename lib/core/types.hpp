#pragma once
// Basic numeric types shared by every part of dgsim.

#include <Eigen/Core>

namespace dgsim {

using Vec = Eigen::VectorXd;  // a state u in R^N
using Mat = Eigen::MatrixXd;  // a batch of states, one row per sample
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace dgsim
