// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {PackedPausable} from "../access/PackedPausable.sol";
import {CooldownQueue} from "../staking/CooldownQueue.sol";

/**
 * @title StakeTokenPreRewardsLayout
 * @notice Test-only: the storage layout of the sToken before fee rewards (issue 20), so the upgrades
 * plugin can prove the reward version only appends to the sToken's namespace.
 */
contract StakeTokenPreRewardsLayout is PackedPausable, ERC20Upgradeable, ReentrancyGuardTransient {
    /// @custom:storage-location erc7201:ssi.storage.StakeToken
    struct StakeTokenStorage {
        IERC20 stakedToken;
        uint64 cooldownDuration;
        uint8 decimals;
        bool paused;
        uint256 totalCooling;
        mapping(address user => CooldownQueue.Queue) cooldowns;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Sets up the token like the first version would; present only so the layout is what gets judged.
    function initialize(address admin) external initializer {
        __ERC20_init("", "");
        __ProtocolUpgradeable_init(admin);
    }

    /// @dev The layout is what this contract is for; the flag is not stored.
    function _storePaused(bool) internal override {}
}
