// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FeeMath} from "../index/libraries/FeeMath.sol";

/// @title FeeMathHarness
/// @notice Test-only: exposes FeeMath.decay so tests can compare it with its TypeScript port.
contract FeeMathHarness {
    /// @notice FeeMath.decay as an external view.
    function decay(uint256 factor, uint256 ratePpm, uint256 elapsed) external pure returns (uint256) {
        return FeeMath.decay(factor, ratePpm, elapsed);
    }
}
