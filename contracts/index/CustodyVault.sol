// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {ICustodyVault} from "../interfaces/ICustodyVault.sol";

/**
 * @title CustodyVault
 * @notice Holds the underlying assets of every index on chains where custody is a contract. See
 * {ICustodyVault}. It keeps no books of its own: the liabilities are the index tokens' baskets,
 * and the vault's ERC-20 balances are what must cover them.
 */
contract CustodyVault is ICustodyVault, ProtocolUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc ICustodyVault
    bytes32 public constant RELEASER_ROLE = keccak256("RELEASER_ROLE");

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc ICustodyVault
    function initialize(address admin) external initializer {
        __ProtocolUpgradeable_init(admin);
    }

    /// @inheritdoc ICustodyVault
    function release(address index, address to, address[] calldata assets, uint256[] calldata amounts)
        external
        onlyRole(RELEASER_ROLE)
        whenNotPaused
        nonReentrant
    {
        uint256 length = assets.length;
        if (amounts.length != length) revert ReleaseLengthMismatch(length, amounts.length);
        for (uint256 i = 0; i < length; ++i) {
            IERC20(assets[i]).safeTransfer(to, amounts[i]);
        }
        emit Released(index, to, assets, amounts);
    }

    /// @inheritdoc ICustodyVault
    function balancesOf(address[] calldata assets) external view returns (uint256[] memory balances) {
        balances = new uint256[](assets.length);
        for (uint256 i = 0; i < assets.length; ++i) {
            balances[i] = IERC20(assets[i]).balanceOf(address(this));
        }
    }
}
