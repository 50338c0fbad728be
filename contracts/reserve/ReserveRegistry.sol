// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {IReserveRegistry} from "../interfaces/IReserveRegistry.sol";

/**
 * @title ReserveRegistry
 * @notice Daily proof-of-reserve reports per index token. See IReserveRegistry.
 */
contract ReserveRegistry is IReserveRegistry, ProtocolUpgradeable {
    /// @custom:storage-location erc7201:ssi.storage.ReserveRegistry
    struct ReserveRegistryStorage {
        mapping(address index => mapping(uint32 day => Report)) reports;
        mapping(address index => uint32[]) dayList;
        mapping(address index => uint32) latestDay;
        address[] indexes;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.ReserveRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant RESERVE_REGISTRY_STORAGE_LOCATION =
        0x731f57431c737b74db9455dc0ab061a96568c2ec7754817a7f4e60e06b540c00;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IReserveRegistry
    function initialize(address admin) external initializer {
        __ProtocolUpgradeable_init(admin);
    }

    /// @inheritdoc IReserveRegistry
    function publish(Report calldata report) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        _validate(report);
        address index = report.index;
        uint32 day = report.day;
        ReserveRegistryStorage storage $ = _getReserveRegistryStorage();
        mapping(uint32 day => Report) storage reports = $.reports[index];
        if (reports[day].reportHash != bytes32(0)) revert ReportAlreadyPublished(index, day);
        reports[day] = report;
        uint32[] storage days_ = $.dayList[index];
        if (days_.length == 0) $.indexes.push(index);
        days_.push(day);
        if (day > $.latestDay[index]) $.latestDay[index] = day;
        _emitPublished(report);
    }

    /// @inheritdoc IReserveRegistry
    function latest(address index) external view returns (Report memory) {
        ReserveRegistryStorage storage $ = _getReserveRegistryStorage();
        uint32 day = $.latestDay[index];
        if (day == 0) revert NoReports(index);
        return $.reports[index][day];
    }

    /// @inheritdoc IReserveRegistry
    function reportAt(address index, uint32 day) external view returns (Report memory) {
        Report storage report = _getReserveRegistryStorage().reports[index][day];
        if (report.reportHash == bytes32(0)) revert ReportNotFound(index, day);
        return report;
    }

    /// @inheritdoc IReserveRegistry
    function hasReport(address index, uint32 day) external view returns (bool) {
        return _getReserveRegistryStorage().reports[index][day].reportHash != bytes32(0);
    }

    /// @inheritdoc IReserveRegistry
    function reportCount(address index) external view returns (uint256) {
        return _getReserveRegistryStorage().dayList[index].length;
    }

    /// @inheritdoc IReserveRegistry
    function latestDay(address index) external view returns (uint32) {
        return _getReserveRegistryStorage().latestDay[index];
    }

    /// @inheritdoc IReserveRegistry
    function reportDays(address index, uint256 offset, uint256 limit) external view returns (uint32[] memory page) {
        uint32[] storage days_ = _getReserveRegistryStorage().dayList[index];
        uint256 count = days_.length;
        if (offset >= count) return new uint32[](0);
        uint256 end = count - offset > limit ? offset + limit : count;
        page = new uint32[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            page[i - offset] = days_[i];
        }
    }

    /// @inheritdoc IReserveRegistry
    function reportedIndexes() external view returns (address[] memory) {
        return _getReserveRegistryStorage().indexes;
    }

    /// @dev Field checks; uniqueness of (index, day) is checked against storage by the caller.
    function _validate(Report calldata report) private view {
        if (report.index == address(0)) revert ZeroAddress();
        if (!_isValidDay(report.day)) revert InvalidDay(report.day);
        if (report.reportHash == bytes32(0)) revert ZeroReportHash();
        if (report.blockNumber == 0 || report.blockNumber > block.number) {
            revert InvalidBlockNumber(report.blockNumber, block.number);
        }
        uint256 assetCount = report.assets.length;
        if (assetCount == 0) revert NoAssets();
        if (report.reserves.length != assetCount || report.liabilities.length != assetCount) {
            revert ReportLengthMismatch(assetCount, report.reserves.length, report.liabilities.length);
        }
        for (uint256 i = 0; i < assetCount; ++i) {
            if (report.assets[i] == address(0)) revert ZeroAddress();
        }
    }

    function _emitPublished(Report calldata report) private {
        emit ReportPublished(
            report.index,
            report.day,
            report.reportHash,
            report.liabilitiesRoot,
            report.blockNumber,
            report.assets,
            report.reserves,
            report.liabilities
        );
    }

    /// @dev yyyymmdd with a year from 2000 to 9999, a month 1-12 and a day that month has (leap years included).
    function _isValidDay(uint32 yyyymmdd) private pure returns (bool) {
        uint32 year = yyyymmdd / 10000;
        uint32 month = (yyyymmdd / 100) % 100;
        uint32 dayOfMonth = yyyymmdd % 100;
        if (year < 2000 || year > 9999 || month == 0 || month > 12 || dayOfMonth == 0) return false;
        uint32 monthDays;
        if (month == 2) {
            bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            monthDays = leap ? 29 : 28;
        } else if (month == 4 || month == 6 || month == 9 || month == 11) {
            monthDays = 30;
        } else {
            monthDays = 31;
        }
        return dayOfMonth <= monthDays;
    }

    function _getReserveRegistryStorage() private pure returns (ReserveRegistryStorage storage $) {
        assembly {
            $.slot := RESERVE_REGISTRY_STORAGE_LOCATION
        }
    }
}
