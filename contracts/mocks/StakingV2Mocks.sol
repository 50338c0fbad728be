// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AssetLocking} from "../staking/AssetLocking.sol";
import {StakeFactory} from "../staking/StakeFactory.sol";
import {StakeToken} from "../staking/StakeToken.sol";
import {RewardsDistributor} from "../rewards/RewardsDistributor.sol";
import {ReserveRegistry} from "../reserve/ReserveRegistry.sol";

// Test-only second versions: the same storage plus a `version()` view, so upgrade tests can prove an
// upgrade went through and kept every value.

/// @notice Test-only V2 of StakeToken.
contract StakeTokenV2Mock is StakeToken {
    /// @notice Always 2.
    function version() external pure returns (uint256) {
        return 2;
    }
}

/// @notice Test-only V2 of StakeFactory.
contract StakeFactoryV2Mock is StakeFactory {
    /// @notice Always 2.
    function version() external pure returns (uint256) {
        return 2;
    }
}

/// @notice Test-only V2 of AssetLocking.
contract AssetLockingV2Mock is AssetLocking {
    /// @notice Always 2.
    function version() external pure returns (uint256) {
        return 2;
    }
}

/// @notice Test-only V2 of RewardsDistributor.
contract RewardsDistributorV2Mock is RewardsDistributor {
    /// @notice Always 2.
    function version() external pure returns (uint256) {
        return 2;
    }
}

/// @notice Test-only V2 of ReserveRegistry.
contract ReserveRegistryV2Mock is ReserveRegistry {
    /// @notice Always 2.
    function version() external pure returns (uint256) {
        return 2;
    }
}
