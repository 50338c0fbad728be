// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";

/**
 * @title IndexTokenBadLayout
 * @notice Test-only: an index token "upgrade" that inserts a field at the start of the token's
 * namespace, shifting the tokenset. The upgrades plugin must refuse it.
 */
contract IndexTokenBadLayout is ERC20Upgradeable, ProtocolUpgradeable {
    /// @custom:storage-location erc7201:ssi.storage.IndexToken
    struct IndexTokenStorage {
        uint256 inserted;
        address tokensetData;
        uint96 tokensetLength;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Sets up the token like V1 would; present only so the layout is what gets judged.
    function initialize(address admin) external initializer {
        __ERC20_init("", "");
        __ProtocolUpgradeable_init(admin);
    }
}
