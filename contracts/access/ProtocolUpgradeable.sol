// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";

/**
 * @title ProtocolUpgradeable
 * @notice The template every SSI contract is built on: UUPS proxy, two-step admin handover,
 * narrow roles and a pause switch. It holds no storage of its own beyond OpenZeppelin's
 * namespaced slots, so contracts add their state in their own ERC-7201 namespaces.
 * @dev Roles: the admin grants roles and unpauses; the guardian (PAUSER_ROLE) can only stop things;
 * an upgrader can only replace implementations; the operator is the KMS-signed protocol server.
 * The pause flag lives in OpenZeppelin's Pausable slot, unless a contract also extends PackedPausable
 * to keep it in a slot its hot paths read anyway (StakeToken, RewardsDistributor).
 */
abstract contract ProtocolUpgradeable is AccessControlDefaultAdminRulesUpgradeable, PausableUpgradeable, UUPSUpgradeable {
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// @dev Delay before a new default admin can accept the role (two-step handover).
    uint48 public constant ADMIN_HANDOVER_DELAY = 1 days;

    /// @dev Gives `admin` the admin, pauser and upgrader roles; callers grant the rest.
    function __ProtocolUpgradeable_init(address admin) internal onlyInitializing {
        __AccessControlDefaultAdminRules_init(ADMIN_HANDOVER_DELAY, admin);
        __Pausable_init();
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
    }

    /// @notice Stops every state change guarded by `whenNotPaused`.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes after a pause; only the admin may, so a guardian can stop but never restart.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}
