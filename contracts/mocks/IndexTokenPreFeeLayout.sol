// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";

/**
 * @title IndexTokenPreFeeLayout
 * @notice Test-only: the storage layout of the index token before the management fee (issue 3),
 * so the upgrades plugin can prove the fee version only appends to the token's namespace.
 */
contract IndexTokenPreFeeLayout is ERC20Upgradeable, ProtocolUpgradeable {
    /// @custom:storage-location erc7201:ssi.storage.IndexToken
    struct IndexTokenStorage {
        address tokensetData;
        uint96 tokensetLength;
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
}
